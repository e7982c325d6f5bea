import Dispatch
import Logging
import SeatStorage
import ServiceLifecycle

/// What the active node does for its group besides serving: keeps its row in
/// `seatd_nodes` fresh, and now and then stores a snapshot of the state in PostgreSQL and
/// trims the log up to it, so the log does not grow without end and a node that joins
/// late starts from the snapshot.
final class ActiveNodeDuties: Service {
    private let membership: ClusterMembership
    private let store: SeatStore
    private let clock: any ServerClock
    private let logger: Logger
    /// The sequence of the snapshot in PostgreSQL when this node took over.
    private let snapshotAtTakeover: UInt64

    /// A snapshot is taken once the log has grown this much since the last one...
    static let batchesPerSnapshot: UInt64 = 10_000
    /// ...checked this often.
    static let snapshotCheckInterval = Duration.seconds(60)

    init(membership: ClusterMembership, store: SeatStore, snapshotAt sequence: UInt64, clock: any ServerClock, logger: Logger) {
        self.membership = membership
        self.store = store
        self.clock = clock
        self.logger = logger
        snapshotAtTakeover = sequence
    }

    func run() async throws {
        var nextSnapshotCheck = ContinuousClock.now + Self.snapshotCheckInterval
        var lastSnapshot = snapshotAtTakeover
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            membership.state.update { $0.appliedSequence = store.appliedSequence }
            await membership.report()
            if ContinuousClock.now >= nextSnapshotCheck {
                nextSnapshotCheck = ContinuousClock.now + Self.snapshotCheckInterval
                if store.appliedSequence >= lastSnapshot + Self.batchesPerSnapshot {
                    lastSnapshot = await snapshotAndTrim() ?? lastSnapshot
                }
            }
            do {
                try await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(for: StandbyFollower.reportInterval) }
            } catch {
                return
            }
        }
    }

    /// The sequence of the snapshot stored, nil if it failed.
    private func snapshotAndTrim() async -> UInt64? {
        do {
            let snapshot = try await Self.snapshot(of: store)
            try await membership.log.writeSnapshot(sequence: snapshot.sequence, payload: snapshot.payload)
            let trimmed = try await membership.log.trimLog(through: snapshot.sequence)
            logger.info("cluster: snapshot stored and log trimmed", metadata: [
                "sequence": "\(snapshot.sequence)", "bytes": "\(snapshot.payload.count)", "trimmed": "\(trimmed)",
            ])
            return snapshot.sequence
        } catch {
            logger.warning("cluster: snapshot failed; the log keeps growing until one succeeds", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The store's replicated state, read and encoded off the cooperative pool (a large
    /// store takes a while).
    static func snapshot(of store: SeatStore) async throws -> (sequence: UInt64, payload: [UInt8]) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(with: Result { () throws -> (UInt64, [UInt8]) in
                    let batch = try store.replicationSnapshot()
                    return (batch.sequence, batch.encoded())
                })
            }
        }
    }
}
