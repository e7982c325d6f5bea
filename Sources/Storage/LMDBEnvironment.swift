import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thin wrapper over one LMDB environment. Transactions exist only inside the
/// closures of `read` and `write` (and are non-copyable), so no handle outlives them.
///
/// Thread rules (lmdb.h): with `MDB_NOTLS` read transactions may run on any thread;
/// `write` must be called from a single thread (the storage writer); remapping and
/// closing exclude every read transaction through `lock`.
final class LMDBEnvironment: @unchecked Sendable {
    // @unchecked: `env` is thread-safe under the rules above; `isClosed` is read under
    // `lock` shared and written under it exclusive.
    private let env: OpaquePointer
    private let directory: String
    private let lock = ReadersWriterLock()
    private var isClosed = false

    init(directory: String, mapSizeBytes: Int, maximumReaders: UInt32, noSync: Bool) throws(StorageError) {
        var handle: OpaquePointer?
        try check(mdb_env_create(&handle), "mdb_env_create")
        guard let env = handle else { throw .io(code: ENOMEM, "mdb_env_create returned no environment") }
        var flags = UInt32(MDB_NOTLS)
        if noSync { flags |= UInt32(MDB_NOSYNC) }
        do {
            try check(mdb_env_set_maxdbs(env, 16), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(env, maximumReaders), "mdb_env_set_maxreaders")
            // LMDB raises this to the size of the data already stored when reopening.
            try check(mdb_env_set_mapsize(env, mapSizeBytes), "mdb_env_set_mapsize")
            try check(mdb_env_open(env, directory, flags, 0o600), "mdb_env_open \(directory)")
        } catch {
            // Required even when mdb_env_open failed, to free the handle.
            mdb_env_close(env)
            throw error
        }
        self.env = env
        self.directory = directory
    }

    deinit {
        close()
    }

    /// Bytes the file system holding the store can still give this process, if known.
    var availableDiskBytes: Int? {
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return nil }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    /// The longest key LMDB accepts (511 bytes in default builds).
    var maximumKeySize: Int {
        Int(mdb_env_get_maxkeysize(env))
    }

    /// Closes the environment once no read transaction is open. The caller must have
    /// stopped the writer thread first.
    func close() {
        lock.withExclusiveLock {
            guard !isClosed else { return }
            isClosed = true
            mdb_env_close(env)
        }
    }

    /// Runs `body` in a read-only transaction (a consistent snapshot).
    func read<T>(_ body: (borrowing LMDBTransaction) throws(StorageError) -> T) throws(StorageError) -> T {
        try lock.withSharedLock { () throws(StorageError) -> T in
            guard !isClosed else { throw .closed }
            var handle: OpaquePointer?
            try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &handle), "mdb_txn_begin (read)")
            defer { mdb_txn_abort(handle) }
            return try body(LMDBTransaction(handle!))
        }
    }

    /// Runs `body` in a write transaction and commits it; aborts it if `body` throws.
    /// Only the writer thread (or `SeatStore.init`, before that thread starts) calls this.
    ///
    /// `syncMetaPage: false` commits with `MDB_NOMETASYNC`: the data is flushed but not the
    /// meta page, so a system crash may undo this transaction, never corrupt the store,
    /// and the next fully synced commit makes it durable too. Used for lazily persisted
    /// heartbeats, never for anything a caller waits on.
    ///
    /// `recorder`, if any, is told every put and delete of the transaction (replication).
    func write<T>(
        syncMetaPage: Bool = true, recorder: WriteRecorder? = nil, _ body: (borrowing LMDBTransaction) throws(StorageError) -> T
    ) throws(StorageError) -> T {
        if !syncMetaPage { mdb_env_set_flags(env, UInt32(MDB_NOMETASYNC), 1) }
        defer { if !syncMetaPage { mdb_env_set_flags(env, UInt32(MDB_NOMETASYNC), 0) } }
        var handle: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &handle), "mdb_txn_begin (write)")
        let value: T
        do {
            value = try body(LMDBTransaction(handle!, recorder: recorder))
        } catch {
            mdb_txn_abort(handle)
            throw error
        }
        // mdb_txn_commit frees the transaction even when it fails: never abort after it.
        try check(mdb_txn_commit(handle), "mdb_txn_commit")
        return value
    }

    /// Current map size and the bytes in use (pages up to the last one written).
    func usage() throws(StorageError) -> (mapSizeBytes: Int, usedBytes: Int) {
        try lock.withSharedLock { () throws(StorageError) -> (mapSizeBytes: Int, usedBytes: Int) in
            guard !isClosed else { throw .closed }
            var info = MDB_envinfo()
            var stat = MDB_stat()
            try check(mdb_env_info(env, &info), "mdb_env_info")
            try check(mdb_env_stat(env, &stat), "mdb_env_stat")
            return (info.me_mapsize, (info.me_last_pgno + 1) * Int(stat.ms_psize))
        }
    }

    /// Remaps at a new size. Waits until no read transaction is open; the caller (the
    /// writer thread) must not hold a write transaction either.
    func setMapSize(_ bytes: Int) throws(StorageError) {
        try lock.withExclusiveLock { () throws(StorageError) in
            guard !isClosed else { throw .closed }
            try check(mdb_env_set_mapsize(env, bytes), "mdb_env_set_mapsize \(bytes)")
        }
    }

    /// A compacted, consistent copy into `directory` (which must hold no data.mdb yet),
    /// taken from a read snapshot while writes continue.
    func copyCompacted(toDirectory directory: String) throws(StorageError) {
        try lock.withSharedLock { () throws(StorageError) in
            guard !isClosed else { throw .closed }
            try check(mdb_env_copy2(env, directory, UInt32(MDB_CP_COMPACT)), "mdb_env_copy2 \(directory)")
        }
    }
}

/// A transaction borrowed from `LMDBEnvironment.read` or `write`. Buffers it hands to
/// closures point into the map and are valid only inside those closures.
struct LMDBTransaction: ~Copyable {
    private let txn: OpaquePointer
    /// Told each write that took effect; nil (no cost but the check) unless the store replicates.
    private let recorder: WriteRecorder?

    // Not inlined: Swift 6.3.1's generic specializer crashes (signal 6, "Cannot initialize a
    // nonCopyable type with a guaranteed value") cloning this init into `write<T>` in release
    // builds. One call per transaction.
    @inline(never)
    fileprivate init(_ txn: OpaquePointer, recorder: WriteRecorder? = nil) {
        self.txn = txn
        self.recorder = recorder
    }

    /// Opens (creating if needed, in a write transaction) a named database.
    func openDatabase(named name: String, create: Bool) throws(StorageError) -> MDB_dbi {
        var dbi: MDB_dbi = 0
        try check(mdb_dbi_open(txn, name, create ? UInt32(MDB_CREATE) : 0, &dbi), "mdb_dbi_open \(name)")
        return dbi
    }

    /// Calls `body` with the value stored under `key`, or returns nil if there is none.
    func get<T>(
        _ dbi: MDB_dbi,
        _ key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws(StorageError) -> T
    ) throws(StorageError) -> T? {
        var keyValue = MDB_val(key)
        var value = MDB_val()
        let code = mdb_get(txn, dbi, &keyValue, &value)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_get")
        return try body(value.bytes)
    }

    func put(_ dbi: MDB_dbi, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(StorageError) {
        var keyValue = MDB_val(key)
        var dataValue = MDB_val(value)
        try check(mdb_put(txn, dbi, &keyValue, &dataValue, 0), "mdb_put")
        recorder?.recordPut(dbi, key, value)
    }

    /// Returns whether a record was there to delete.
    @discardableResult
    func delete(_ dbi: MDB_dbi, _ key: UnsafeRawBufferPointer) throws(StorageError) -> Bool {
        var keyValue = MDB_val(key)
        let code = mdb_del(txn, dbi, &keyValue, nil)
        if code == MDB_NOTFOUND { return false }
        try check(code, "mdb_del")
        recorder?.recordDelete(dbi, key)
        return true
    }

    /// Deletes every record of the database, keeping the database. Not recorded: only a
    /// restore, which never replicates, empties a database.
    func empty(_ dbi: MDB_dbi) throws(StorageError) {
        try check(mdb_drop(txn, dbi, 0), "mdb_drop")
    }

    func count(_ dbi: MDB_dbi) throws(StorageError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(txn, dbi, &stat), "mdb_stat")
        return stat.ms_entries
    }

    /// Calls `body` for every record in key order, with one cursor.
    func forEach(
        _ dbi: MDB_dbi,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(StorageError) -> Void
    ) throws(StorageError) {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        var code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
        while code == 0 {
            try body(key.bytes, value.bytes)
            code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        }
        if code != MDB_NOTFOUND { try check(code, "mdb_cursor_get") }
    }

    /// Calls `body` with the smallest key, or returns nil when the database is empty.
    func firstKey<T>(_ dbi: MDB_dbi, _ body: (UnsafeRawBufferPointer) throws(StorageError) -> T) throws(StorageError) -> T? {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        let code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_cursor_get")
        return try body(key.bytes)
    }
}

extension LMDBTransaction {
    /// Calls `body` with the largest key, or returns nil when the database is empty.
    func lastKey<T>(_ dbi: MDB_dbi, _ body: (UnsafeRawBufferPointer) throws(StorageError) -> T) throws(StorageError) -> T? {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        let code = mdb_cursor_get(cursor, &key, &value, MDB_LAST)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_cursor_get")
        return try body(key.bytes)
    }

    /// Calls `body` for the records from the first key at or after `start` on, in key
    /// order, until it returns false or the database ends. One cursor seek, no full scan.
    func scan(
        _ dbi: MDB_dbi,
        from start: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(StorageError) -> Bool
    ) throws(StorageError) {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val(start)
        var value = MDB_val()
        var code = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
        while code == 0 {
            guard try body(key.bytes, value.bytes) else { return }
            code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        }
        if code != MDB_NOTFOUND { try check(code, "mdb_cursor_get") }
    }

    /// Puts a record whose key is larger than every key in the database, filling pages
    /// completely instead of splitting them in half (`MDB_APPEND`). Returns false, having
    /// stored nothing, when the key is not the largest.
    func append(_ dbi: MDB_dbi, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(StorageError) -> Bool {
        var keyValue = MDB_val(key)
        var dataValue = MDB_val(value)
        let code = mdb_put(txn, dbi, &keyValue, &dataValue, UInt32(MDB_APPEND))
        if code == MDB_KEYEXIST { return false }
        try check(code, "mdb_put (append)")
        // Replayed as a put, which a replica turns into an append again where it can.
        recorder?.recordPut(dbi, key, value)
        return true
    }

    /// Records and bytes of one database: its branch, leaf and overflow pages times the
    /// page size, as seen by this transaction (including its own uncommitted changes).
    func usage(_ dbi: MDB_dbi) throws(StorageError) -> (entries: Int, bytes: Int) {
        var stat = MDB_stat()
        try check(mdb_stat(txn, dbi, &stat), "mdb_stat")
        return (stat.ms_entries, (stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages) * Int(stat.ms_psize))
    }
}

extension LMDBTransaction {
    /// Bytes of the pages the given databases occupy now, as this transaction sees them:
    /// data that cannot be reused. Pages on the free list are not counted, so this falls
    /// again when ends and purges free pages (the file's size never does).
    func bytesInUse(_ dbis: [MDB_dbi]) throws(StorageError) -> Int {
        var total = 0
        for dbi in dbis {
            total += try usage(dbi).bytes
        }
        return total
    }
}

private func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(StorageError) {
    guard code == 0 else { throw StorageError(lmdbCode: code, operation()) }
}

extension MDB_val {
    /// LMDB never writes through the data pointer of a key or value passed to it.
    fileprivate init(_ buffer: UnsafeRawBufferPointer) {
        self.init(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
    }

    fileprivate var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mv_data, count: mv_size)
    }
}
