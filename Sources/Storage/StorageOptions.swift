public enum Durability: String, Sendable {
    /// Default: every commit is flushed to disk (fdatasync) before callers resume.
    case fsync
    /// `MDB_NOSYNC`: commits survive a process crash, not a power loss.
    case noSync
}

public struct StorageOptions: Sendable {
    /// Created if missing (mode 0700); the LMDB environment (data.mdb, lock.mdb) lives here.
    public var directory: String
    public var initialMapSizeBytes: Int
    /// Growth beyond this fails the batch with `StorageError.full`.
    public var maximumMapSizeBytes: Int
    public var durability: Durability

    public init(
        directory: String,
        initialMapSizeBytes: Int = 64 << 20,
        maximumMapSizeBytes: Int = 16 << 30,
        durability: Durability = .fsync
    ) {
        self.directory = directory
        self.initialMapSizeBytes = initialMapSizeBytes
        self.maximumMapSizeBytes = maximumMapSizeBytes
        self.durability = durability
    }
}
