import Foundation
import Logging
import NIOPosix
import SeatCluster
import SeatStorage
import Synchronization

/// This node's part in an active/standby group (`storage = postgresql`): the election, the
/// shared log and the registry of nodes, and what the daemon learns from them.
///
/// The election runs for the whole life of the process. Once this node has become active
/// it never goes back to standby in-process: losing the leadership ends the process
/// (`onLostLeadership`), and the service manager starts it again as a standby, from a
/// clean slate, which is simpler to trust than tearing the serving state down.
final class ClusterMembership: Sendable {
    let state: ClusterState
    let log: PostgresReplicaLog
    let registry: ClusterRegistry
    let configuration: LeadershipConfiguration
    private let settings: PostgresSettings
    private let driver: LeadershipDriver
    private let activations: AsyncStream<UInt64>
    private let activationsContinuation: AsyncStream<UInt64>.Continuation
    private let everActive = Atomic(false)
    private let onLostLeadership: @Sendable (LeadershipLossReason) -> Void
    private let onFencedCommit: @Sendable (LeadershipLossReason) -> Void
    private let tasks = Mutex<[Task<Void, Never>]>([])
    /// PostgreSQL's sessions run on a loop of their own: on the client connections' loops,
    /// every append's answer would wait its turn behind their TLS work, and the storage
    /// writer, which waits for it, with it.
    private let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let logger: Logger

    /// `onLostLeadership` must stop serving at once; `onFencedCommit` soon (its callers are
    /// answered first).
    init(
        configuration server: ServerConfiguration, logger: Logger,
        onLostLeadership: @escaping @Sendable (LeadershipLossReason) -> Void,
        onFencedCommit: @escaping @Sendable (LeadershipLossReason) -> Void
    ) throws {
        settings = try PostgresSettings(url: server.postgresqlURL)
        configuration = LeadershipConfiguration(
            node: server.clusterNodeNameInForce, address: server.clusterAdvertiseAddressInForce,
            lease: .milliseconds(Int64(server.clusterLeaseSeconds * 1000)))
        state = ClusterState(node: configuration.node)
        log = try PostgresReplicaLog(settings: settings, eventLoopGroup: eventLoops, logger: logger)
        registry = try ClusterRegistry(settings: settings, eventLoopGroup: eventLoops, logger: logger)
        driver = try LeadershipDriver(settings: settings, configuration: configuration, eventLoopGroup: eventLoops, logger: logger)
        (activations, activationsContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.onLostLeadership = onLostLeadership
        self.onFencedCommit = onFencedCommit
        self.logger = logger
    }

    /// Creates the tables that are missing, then enters the election.
    func start() async throws {
        try await ClusterSchema.install(settings: settings, eventLoopGroup: eventLoops, logger: logger)
        logger.notice("cluster: joined", metadata: [
            "node": "\(configuration.node)", "address": "\(configuration.address)", "postgresql": "\(settings.redactedURL)",
        ])
        let election = Task { [driver] in await driver.run() }
        let listener = Task { [self] in
            for await event in driver.events { handle(event) }
        }
        tasks.withLock { $0 = [election, listener] }
    }

    /// The epoch this node leads, once it has become active; nil if the election ended first.
    func waitUntilElected() async -> UInt64? {
        for await epoch in activations { return epoch }
        return nil
    }

    /// Leaves the election: the lock session closes, so a standby takes over at once.
    func stop() async {
        let running = tasks.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
        activationsContinuation.finish()
        await log.close()
        await registry.close()
        try? await eventLoops.shutdownGracefully()
    }

    private func handle(_ event: LeadershipEvent) {
        switch event {
        case .becameActive(let epoch):
            state.update { $0.epoch = epoch }
            everActive.store(true, ordering: .sequentiallyConsistent)
            activationsContinuation.yield(epoch)
        case .lostLeadership(let reason):
            // Elected, even if not serving yet: the commits of that epoch would be fenced.
            if everActive.load(ordering: .sequentiallyConsistent) { onLostLeadership(reason) }
        case .activeNodeChanged(let node, let address):
            state.update { status in
                status.activeNode = node ?? ""
                status.activeAddress = address ?? ""
            }
        }
    }

    /// Records this node in `seatd_nodes` and reads back the others (for `seatctl status`).
    func report() async {
        let status = state.current
        do {
            try await registry.registerNode(
                name: status.node, address: configuration.address, role: status.role == .active ? .active : .standby,
                appliedSequence: status.appliedSequence)
            let nodes = try await registry.nodes()
            state.update { status in
                status.peers = nodes.filter { $0.name != status.node }.map { node in
                    ClusterStatus.Peer(
                        node: node.name, address: node.address, role: node.role.rawValue, appliedSequence: node.appliedSequence,
                        seenAt: .init(millisecondsSinceEpoch: Int64(node.seenAt.timeIntervalSince1970 * 1000)))
                }
            }
        } catch {
            logger.warning("cluster: could not record this node in PostgreSQL", metadata: ["error": "\(error)"])
        }
    }

    /// The storage writer's replicator while this node leads `epoch`. A fenced append ends
    /// the process like a lost election: another node took over, or a batch whose append
    /// timed out reached the log after all, and either way this node's copy must be
    /// rebuilt from the log before it may serve again.
    func replicator(epoch: UInt64) -> some CommitReplicator {
        DeposingReplicator(log: FencedLogReplicator(log: log, epoch: epoch, encode: { $0.encoded() }), onFenced: onFencedCommit)
    }
}

private struct DeposingReplicator: CommitReplicator {
    let log: FencedLogReplicator
    let onFenced: @Sendable (LeadershipLossReason) -> Void

    func replicate(_ batch: ReplicationBatch) throws(StorageError) {
        do {
            try log.replicate(batch)
        } catch {
            if case .fenced = error { onFenced(.supplanted) }
            throw error
        }
    }
}
