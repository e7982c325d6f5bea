/// The store as one node's copy of a shared, replicated state (`storage = postgresql`):
/// the shared log of batches is the source of truth. The active node sends each batch
/// to it before committing locally (`startReplicating`); a standby applies the log's
/// batches verbatim (`applyReplicated`), or a snapshot when it joins after the log was
/// trimmed (`restore`), so that it serves at once when it takes over.
extension SeatStore {
    /// The sequence of the last batch of the shared log this store holds (0 for a fresh
    /// store), as stored with it, so it survives a restart.
    public var appliedSequence: UInt64 {
        writer.appliedSequence.load(ordering: .acquiring)
    }

    /// From the next batch on, every batch that writes anything is numbered
    /// `appliedSequence + 1` and sent to `replicator` before it commits; its callers fail
    /// with the replicator's error if it throws. Once `replicate` throws `.fenced`, every
    /// later write fails with `.fenced` without reaching the replicator. Called once, when
    /// this node becomes the active one, after it applied the whole log: a second call
    /// throws `.replication`, and this store applies no more batches of the log.
    public func startReplicating(to replicator: any CommitReplicator) throws(StorageError) {
        try writer.startReplicating(to: replicator)
    }

    /// Applies batches of the shared log, in order, in one transaction: each must follow
    /// the applied sequence (`sequence == appliedSequence + 1`), or nothing is applied
    /// (`.replication`); a write to a database or `meta` key batches never hold is
    /// `.corrupt`. Refused (`.replication`) once `startReplicating` was called.
    public func applyReplicated(_ batches: [ReplicationBatch]) async throws(StorageError) {
        try await writer.replay(.apply(batches)).get()
    }

    /// Every record of the shared state this store holds, as puts, at its applied
    /// sequence, from one snapshot: what `restore(snapshot:)` rebuilds a store from.
    public func replicationSnapshot() throws(StorageError) -> ReplicationBatch {
        try environment.read { txn throws(StorageError) in
            ReplicationBatch(
                sequence: try StorageWriter.readAppliedSequence(txn, databases),
                writes: try writer.replicated.snapshot(txn))
        }
    }

    /// Replaces every record of the shared state with the snapshot's, in one transaction,
    /// and takes its sequence as the applied one. Refused (`.replication`) once
    /// `startReplicating` was called.
    public func restore(snapshot: ReplicationBatch) async throws(StorageError) {
        try await writer.replay(.restore(snapshot)).get()
    }
}
