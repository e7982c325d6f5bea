/// One write of a committed transaction, as LMDB saw it: what a replica applies verbatim.
public struct ReplicatedWrite: Sendable, Equatable {
    /// The name of the LMDB database (`StorageDatabases`), e.g. `sessions`.
    public var database: String
    public var key: [UInt8]
    /// nil: the key was deleted.
    public var value: [UInt8]?

    public init(database: String, key: [UInt8], value: [UInt8]?) {
        self.database = database
        self.key = key
        self.value = value
    }
}

/// The physical effect of one committed write transaction of the storage writer, numbered
/// without gaps: batch `n + 1` applies to a store holding batches `1...n`.
public struct ReplicationBatch: Sendable, Equatable {
    public var sequence: UInt64
    public var writes: [ReplicatedWrite]

    public init(sequence: UInt64, writes: [ReplicatedWrite]) {
        self.sequence = sequence
        self.writes = writes
    }
}
