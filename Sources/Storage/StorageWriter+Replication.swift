import CLMDB
import Logging

/// Whether the writer sends its batches to a shared log (`CommitReplicator`).
enum ReplicationMode {
    /// Commits locally only; may apply batches of the log (a standby, or no log at all).
    case local
    /// Each batch goes to the log before its local commit.
    case replicating(any CommitReplicator)
    /// The log fenced this node off: another node is active. Final.
    case deposed(String)
    /// The log holds a batch this store failed to commit. Final until a restart.
    case behind

    static let behindMessage = "local store behind the shared log; restart to catch up"

    var isReplicating: Bool {
        if case .replicating = self { return true }
        return false
    }

    /// Why every batch fails at once now, without reaching the log.
    var refusal: StorageError? {
        switch self {
        case .local, .replicating: nil
        case .deposed(let reason): .fenced(reason)
        case .behind: .replication(Self.behindMessage)
        }
    }
}

/// What a standby does with the shared log, through the writer.
enum ReplicationJob {
    /// Batches in log order, each following the applied sequence.
    case apply([ReplicationBatch])
    /// A whole store, at its sequence (a node that joins after the log was trimmed).
    case restore(ReplicationBatch)

    var summary: String {
        switch self {
        case .apply(let batches): "apply of \(batches.count) replicated batches"
        case .restore(let snapshot): "restore of a snapshot at sequence \(snapshot.sequence)"
        }
    }
}

extension StorageWriter {
    static func loadAppliedSequence(_ environment: LMDBEnvironment, _ databases: StorageDatabases) throws(StorageError) -> UInt64 {
        try environment.read { txn throws(StorageError) in try readAppliedSequence(txn, databases) }
    }

    static func readAppliedSequence(_ txn: borrowing LMDBTransaction, _ databases: StorageDatabases) throws(StorageError) -> UInt64 {
        try RecordCodec.replicationSequenceKey.withBytes { key throws(StorageError) in
            try txn.get(databases.meta, key, RecordCodec.decodeSequence)
        } ?? 0
    }

    /// The last step of an attempt while replicating: numbers the recorded writes, stores
    /// the number in `meta` and hands the batch to the replicator. An attempt that wrote
    /// nothing (a purge with nothing to purge) is no batch and takes no number.
    ///
    /// Called only once the attempt applied every job, so the batch it sends is the one
    /// that commits, unless the local commit itself fails (`fallBehind`). Any error but
    /// `.fenced` is reported as `.replication`, so that the writer never retries or splits
    /// the batch on it (it does on `.full` and on errors of a single change).
    func replicate(_ recorder: WriteRecorder, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        guard case .replicating(let replicator) = replicationMode, !recorder.isEmpty else { return }
        let sequence = appliedSequence.load(ordering: .relaxed) + 1
        let batch = try recorder.batch(sequence: sequence, replicated)
        // After the batch was taken: the applied sequence describes this copy, not the
        // shared state, so it is not part of the batch.
        try putAppliedSequence(sequence, txn)
        do {
            try replicator.replicate(batch)
        } catch {
            switch error {
            case .fenced(let reason):
                replicationMode = .deposed(reason)
                logger.critical("storage fenced: another node took over the shared log; every further write fails", metadata: [
                    "reason": "\(reason)", "sequence": "\(sequence)",
                ])
                throw error
            case .replication: throw error
            default: throw .replication("\(error)")
            }
        }
        recorder.replicatedSequence = sequence
    }

    /// The local commit of a batch the log holds failed. This store now lacks a batch that
    /// the shared state has, so it must not commit anything more: a later batch would be
    /// numbered as the lost one (and take its place in the log, or be refused there), and
    /// its writes would be computed from a state the log no longer has (a session the log
    /// holds would be granted again, the audit sequence reused). Retrying the lost batch
    /// in place cannot be trusted either: its jobs would be applied again to produce other
    /// writes than the log's. A restart reopens the store as it is and catches up from
    /// the log like any standby. Its callers fail: what they asked is in the shared log
    /// but not acknowledged, like a write whose reply was lost.
    func fallBehind(committing error: StorageError) -> StorageError {
        replicationMode = .behind
        logger.critical("storage commit failed after the shared log accepted the batch; every further write fails until a restart", metadata: [
            "error": "\(error)", "appliedSequence": "\(appliedSequence.load(ordering: .relaxed))",
        ])
        return .replication(ReplicationMode.behindMessage)
    }

    /// Runs a standby's job alone in one transaction (growing the map as needed), then
    /// reloads what the writer derived from the store at open, so that this node, once
    /// active, continues the shared state: the audit key allocator. (The usage rollup's
    /// tallies are read from the store in each transaction and are replicated as data.)
    func run(_ job: ReplicationJob) -> Result<Void, StorageError> {
        guard case .local = replicationMode else {
            return .failure(.replication("this store replicates its own commits; it applies no batches of the shared log"))
        }
        do throws(StorageError) {
            let sequence = try writeGrowingMap { txn throws(StorageError) in try apply(job, txn) }
            auditKeys = try Self.loadAuditKeys(environment, databases)
            appliedSequence.store(sequence, ordering: .releasing)
            return .success(())
        } catch {
            logger.error("replicated batches not applied", metadata: ["job": "\(job.summary)", "error": "\(error)"])
            return .failure(error)
        }
    }

    /// Returns the applied sequence after the job.
    private func apply(_ job: ReplicationJob, _ txn: borrowing LMDBTransaction) throws(StorageError) -> UInt64 {
        var sequence = appliedSequence.load(ordering: .relaxed)
        switch job {
        case .apply(let batches):
            for batch in batches {
                guard batch.sequence == sequence &+ 1 else {
                    throw .replication("batch \(batch.sequence) does not follow the applied sequence \(sequence); nothing applied")
                }
                try replicated.apply(batch.writes, txn)
                sequence = batch.sequence
            }
        case .restore(let snapshot):
            try replicated.clear(txn)
            try replicated.apply(snapshot.writes, txn)
            sequence = snapshot.sequence
        }
        try putAppliedSequence(sequence, txn)
        return sequence
    }

    private func putAppliedSequence(_ sequence: UInt64, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        try RecordCodec.replicationSequenceKey.withBytes { key throws(StorageError) in
            try RecordCodec.encodeSequence(sequence).withBytes { value throws(StorageError) in
                try txn.put(databases.meta, key, value)
            }
        }
    }

    /// Commits `body`'s transaction, doubling the map (up to the maximum) and running it
    /// again while it does not fit.
    private func writeGrowingMap<T>(_ body: (borrowing LMDBTransaction) throws(StorageError) -> T) throws(StorageError) -> T {
        while true {
            do throws(StorageError) {
                return try environment.write(body)
            } catch where error.isMapFull {
                guard try growMap() else { throw .full("map size limit of \(maximumMapSizeBytes) bytes reached") }
            }
        }
    }
}
