import CLMDB

/// What of the store a replication batch or snapshot carries, and by which names.
///
/// Every database by its LMDB name, whole, except `meta`: of it only the keys that
/// batches write (`audit_sequence`) describe the shared state. Its other keys describe
/// this copy (the schema version, the open-time migration markers, the applied
/// sequence) and never travel. No database is DUPSORT or has other special flags, so a
/// key holds at most one value and a put or a delete replays exactly.
struct ReplicatedDatabases {
    /// The `meta` keys a batch may write. A batch that writes another `meta` key is
    /// refused by the replica, so a new key written by the writer must be added here.
    static let metaKeys = [RecordCodec.auditSequenceKey]

    let meta: MDB_dbi
    /// Every database but `meta`, with its name.
    let whole: [(name: String, dbi: MDB_dbi)]
    private let byName: [String: MDB_dbi]
    private let names: [MDB_dbi: String]
    /// Written with `MDB_APPEND` where keys grow (the audit log): replayed the same way,
    /// so the replica's pages are as full as the primary's.
    private let appended: Set<MDB_dbi>

    init(_ databases: StorageDatabases) {
        meta = databases.meta
        whole = databases.named
        var byName = [StorageDatabases.Name.meta: databases.meta]
        var names = [databases.meta: StorageDatabases.Name.meta]
        for (name, dbi) in whole {
            byName[name] = dbi
            names[dbi] = name
        }
        self.byName = byName
        self.names = names
        appended = Set(databases.audit.all)
    }

    func name(of dbi: MDB_dbi) -> String? {
        names[dbi]
    }

    func dbi(named name: String) -> MDB_dbi? {
        byName[name]
    }

    /// Applies `writes` verbatim; a deletion of an absent key is no error. Throws
    /// `.corrupt` for an unknown database or a `meta` key that is not replicated.
    func apply(_ writes: [ReplicatedWrite], _ txn: borrowing LMDBTransaction) throws(StorageError) {
        for write in writes {
            guard let dbi = byName[write.database] else {
                throw .corrupt("replicated write to unknown database \"\(write.database)\"")
            }
            if dbi == meta, !Self.metaKeys.contains(write.key) {
                throw .corrupt("replicated write to meta key \(String(decoding: write.key, as: UTF8.self).debugDescription), which is not replicated")
            }
            try write.key.withBytes { key throws(StorageError) in
                guard let value = write.value else {
                    _ = try txn.delete(dbi, key)
                    return
                }
                try value.withBytes { value throws(StorageError) in
                    if appended.contains(dbi), try txn.append(dbi, key, value) { return }
                    try txn.put(dbi, key, value)
                }
            }
        }
    }

    /// Every replicated record, as puts, in database and key order.
    func snapshot(_ txn: borrowing LMDBTransaction) throws(StorageError) -> [ReplicatedWrite] {
        var writes: [ReplicatedWrite] = []
        for key in Self.metaKeys {
            let value = try key.withBytes { key throws(StorageError) in try txn.get(meta, key) { Array($0) } }
            if let value { writes.append(ReplicatedWrite(database: StorageDatabases.Name.meta, key: key, value: value)) }
        }
        for (name, dbi) in whole {
            try txn.forEach(dbi) { key, value throws(StorageError) in
                writes.append(ReplicatedWrite(database: name, key: Array(key), value: Array(value)))
            }
        }
        return writes
    }

    /// Deletes every replicated record (before a snapshot is restored).
    func clear(_ txn: borrowing LMDBTransaction) throws(StorageError) {
        for key in Self.metaKeys {
            try key.withBytes { key throws(StorageError) in _ = try txn.delete(meta, key) }
        }
        for (_, dbi) in whole {
            try txn.empty(dbi)
        }
    }
}
