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
    /// Writes that add data (grants, licenses, tenants, access keys, audit events of their
    /// own) are refused with `StorageError.full` once the store's pages in use, plus room
    /// for the end of every live session, reach this percentage of `maximumMapSizeBytes`:
    /// ends must always be storable (`SpaceReserve`).
    public var highWaterPercent: Int
    /// Disk space kept for ends: a file of this size in `directory` that is deleted when
    /// the file system runs out (ENOSPC), and adding writes are refused while less than
    /// this is free. 0 keeps no disk reserve. See `SpaceReserve`.
    public var diskReserveBytes: Int
    /// How long a queue of lazy changes alone (heartbeats) may wait to be joined by more:
    /// fewer, larger commits. A change someone waits for ends the wait at once.
    public var lazyCommitDelay: Duration

    public init(
        directory: String,
        initialMapSizeBytes: Int = 64 << 20,
        maximumMapSizeBytes: Int = 16 << 30,
        durability: Durability = .fsync,
        highWaterPercent: Int = 90,
        diskReserveBytes: Int = 0,
        lazyCommitDelay: Duration = .milliseconds(20)
    ) {
        self.directory = directory
        self.initialMapSizeBytes = initialMapSizeBytes
        self.maximumMapSizeBytes = maximumMapSizeBytes
        self.durability = durability
        self.highWaterPercent = highWaterPercent
        self.diskReserveBytes = diskReserveBytes
        self.lazyCommitDelay = lazyCommitDelay
    }
}
