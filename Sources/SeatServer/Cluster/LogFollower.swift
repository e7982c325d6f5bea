import Logging
import SeatCluster
import SeatStorage

/// Brings this node's copy of the state up to the shared log: from the latest snapshot when
/// the log no longer holds what the copy lacks (or the copy never followed this log), then
/// batch after batch, in order.
struct LogFollower: Sendable {
    let store: SeatStore
    let log: PostgresReplicaLog
    let logger: Logger

    /// Batches applied per local transaction.
    static let batchesPerApply = 256

    /// Applies everything the log holds now; returns the sequence the copy reached.
    @discardableResult
    func catchUp() async throws -> UInt64 {
        try await restoreIfBehindTheLog()
        while true {
            let applied = store.appliedSequence
            let entries = try await log.readLog(after: applied, limit: Self.batchesPerApply)
            guard !entries.isEmpty else { return applied }
            var batches: [ReplicationBatch] = []
            batches.reserveCapacity(entries.count)
            for entry in entries {
                let batch = try ReplicationBatch(decoding: entry.payload)
                guard batch.sequence == entry.sequence else {
                    throw StorageError.corrupt("log entry \(entry.sequence) holds batch \(batch.sequence)")
                }
                batches.append(batch)
            }
            try await store.applyReplicated(batches)
        }
    }

    /// A copy that never applied this log (sequence 0) starts from the latest snapshot when
    /// there is one; a copy the log was trimmed past starts from it too. A copy ahead of the
    /// log did not follow this database: refused rather than silently mixed.
    private func restoreIfBehindTheLog() async throws {
        let applied = store.appliedSequence
        let next = try await log.readLog(after: applied, limit: 1).first
        if applied > 0, next?.sequence == applied + 1 { return }
        let snapshot = try await log.latestSnapshot()
        if let snapshot, applied == 0 || snapshot.sequence > applied, next.map({ snapshot.sequence + 1 >= $0.sequence }) ?? true {
            let batch = try ReplicationBatch(decoding: snapshot.payload)
            try await store.restore(snapshot: batch)
            logger.notice("this node's copy was restored from the shared snapshot", metadata: [
                "snapshot_sequence": "\(snapshot.sequence)", "previous_sequence": "\(applied)",
            ])
            return
        }
        if let next, next.sequence == applied + 1 { return }
        let last = try await log.lastSequence()
        if next == nil && last <= applied {
            guard last == applied || last == 0 && applied == 0 else {
                throw ClusterCopyError.aheadOfTheLog(copy: applied, log: last)
            }
            return
        }
        throw ClusterCopyError.gap(copy: applied, firstInLog: next?.sequence ?? last)
    }
}

/// This node's copy cannot be brought up to the shared log.
enum ClusterCopyError: Error, CustomStringConvertible {
    case aheadOfTheLog(copy: UInt64, log: UInt64)
    case gap(copy: UInt64, firstInLog: UInt64)

    var description: String {
        switch self {
        case .aheadOfTheLog(let copy, let log):
            "this node's copy holds log batch \(copy) but the shared log ends at \(log): postgresql_url names a database this node did not follow; move state_directory/data aside to start from the shared state"
        case .gap(let copy, let first):
            "this node's copy ends at log batch \(copy), the shared log resumes at \(first) and no snapshot covers the gap; move state_directory/data aside to start from the shared state"
        }
    }
}
