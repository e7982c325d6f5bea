/// Where the storage writer sends each batch before committing it locally, when the store
/// is one node's copy of a shared, replicated state (`storage = postgresql`): the shared
/// log is the source of truth, and the local LMDB store is a copy rebuilt from it.
///
/// The writer calls `replicate` on its own thread, inside the write transaction, after the
/// batch's writes were applied and before the local commit. It blocks until the batch is
/// durable in the shared log, or throws: the local transaction is then aborted and every
/// caller of the batch fails, so nothing is acknowledged that the log does not hold.
/// It must never call back into the store (the writer is the thread it blocks).
public protocol CommitReplicator: Sendable {
    /// Throws `StorageError.fenced` when another node has taken over (this node must stop
    /// serving), `StorageError.replication` when the log could not be reached in time.
    func replicate(_ batch: ReplicationBatch) throws(StorageError)
}
