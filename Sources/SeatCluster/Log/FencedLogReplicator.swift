import SeatStorage

/// The storage writer's replicator while this node leads `epoch`: each batch goes to the
/// PostgreSQL log, fenced by the epoch, before the local commit. `encode` turns a batch into
/// the log's payload (the storage codec), so this module does not depend on its format.
public struct FencedLogReplicator: CommitReplicator {
    public let log: PostgresReplicaLog
    public let epoch: UInt64
    private let encode: @Sendable (ReplicationBatch) -> [UInt8]

    public init(log: PostgresReplicaLog, epoch: UInt64, encode: @escaping @Sendable (ReplicationBatch) -> [UInt8]) {
        self.log = log
        self.epoch = epoch
        self.encode = encode
    }

    public func replicate(_ batch: ReplicationBatch) throws(StorageError) {
        try log.append(sequence: batch.sequence, epoch: epoch, payload: encode(batch))
    }
}
