import SeatCore

extension StorageDatabases {
    private static let auditClassesKey = Array("audit_classes".utf8)

    /// Once per store: a store written before audit classes has every event in `audit`,
    /// now the session class's database. Its admin and force-release events move to the
    /// admin class, so the session class's budget can never evict them. The counted kinds
    /// of such a store (possibly millions of refusals) stay where they are and age out with
    /// the session events. A `meta` marker makes later opens skip the scan.
    static func separateLegacyAuditEvents(_ txn: borrowing LMDBTransaction, _ databases: StorageDatabases) throws(StorageError) {
        let done = try auditClassesKey.withBytes { key throws(StorageError) in try txn.get(databases.meta, key) { _ in true } } ?? false
        guard !done else { return }
        let legacy = databases.audit[.session]
        var moving: [(key: [UInt8], value: [UInt8])] = []
        try txn.forEach(legacy) { key, value throws(StorageError) in
            if RecordCodec.auditKind(ofRecord: value)?.auditClass == .admin { moving.append((Array(key), Array(value))) }
        }
        for record in moving {
            try record.key.withBytes { key throws(StorageError) in
                try txn.delete(legacy, key)
                try record.value.withBytes { value throws(StorageError) in try txn.put(databases.audit[.admin], key, value) }
            }
        }
        try auditClassesKey.withBytes { key throws(StorageError) in
            try [UInt8]([1]).withBytes { value throws(StorageError) in try txn.put(databases.meta, key, value) }
        }
    }
}
