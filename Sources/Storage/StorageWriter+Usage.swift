import CLMDB
import SeatCore

/// The usage rollup, kept inside the writer's transaction: the change that grants or ends
/// a session, or stores a refusal count, updates its license's hours in the same commit,
/// so the rollup can never count a session the store does not hold, or miss one it does,
/// whatever the process dies of.
extension StorageWriter {
    /// `session` is being stored for the first time.
    func recordGrant(_ session: Session, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        try record(.grant(user: session.user, at: session.createdAt), licenseKey: session.licenseKey, txn)
    }

    /// The live record of `session` is being deleted at `endedAt`.
    func recordEnd(_ session: Session, endedAt: Timestamp, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        try record(.end(user: session.user, startedAt: session.createdAt, at: endedAt), licenseKey: session.licenseKey, txn)
    }

    /// A refusal count is being appended to the audit log. Counted for licenses that exist,
    /// refused to their own tenant or an administrator: a name a client made up, or another
    /// tenant's license it cannot see, gets no rollup.
    func recordDenial(_ event: AuditEvent, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        guard event.kind == .refusal,
              let tenant = try storedTenant(of: event.licenseKey, txn), event.tenant.isEmpty || event.tenant == tenant
        else { return }
        let denial = UsageEvent.denial(
            reason: event.detail, count: event.aggregate?.count ?? 1, at: event.aggregate?.firstSeen ?? event.time)
        try record(denial, licenseKey: event.licenseKey, txn)
    }

    private func record(_ event: UsageEvent, licenseKey: String, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        let db = databases
        let stored = try licenseKey.withUTF8Bytes { key throws(StorageError) in
            try txn.get(db.usageTallies, key, RecordCodec.decodeUsageCount)
        }
        // A license's first event: its tenant from its record (one deleted meanwhile, only
        // ended by the restart that notices it, is the default tenant's).
        var tenant = stored?.tenant ?? License.defaultTenant
        if stored == nil, let licenseTenant = try storedTenant(of: licenseKey, txn) { tenant = licenseTenant }
        let inUse = Int(stored?.count ?? 0)
        for change in event.changes(inUse: inUse) {
            switch change {
            case .peak, .denials:
                try RecordCodec.usageHourKey(hour: change.hour, licenseKey: licenseKey).withBytes { key throws(StorageError) in
                    var hour = try txn.get(db.usageHours, key) { value throws(StorageError) in
                        try RecordCodec.decodeUsageHour(hour: change.hour, licenseKey: licenseKey, value)
                    } ?? UsageHour(hour: change.hour, licenseKey: licenseKey, tenant: tenant)
                    hour.tenant = tenant
                    hour.apply(change)
                    try RecordCodec.encode(hour).withBytes { value throws(StorageError) in try txn.put(db.usageHours, key, value) }
                }
            case .sessionTime(let hour, let user, let milliseconds):
                try RecordCodec.usageUserKey(hour: hour, licenseKey: licenseKey, user: user).withBytes { key throws(StorageError) in
                    let before = try txn.get(db.usageUsers, key, RecordCodec.decodeUsageCount)?.count ?? 0
                    try RecordCodec.encodeUsageCount(tenant: tenant, before + milliseconds).withBytes { value throws(StorageError) in
                        try txn.put(db.usageUsers, key, value)
                    }
                }
            }
        }
        let after = event.inUse(after: inUse)
        if stored == nil || after != inUse {
            try licenseKey.withUTF8Bytes { key throws(StorageError) in
                try RecordCodec.encodeUsageCount(tenant: tenant, Int64(after)).withBytes { value throws(StorageError) in
                    try txn.put(db.usageTallies, key, value)
                }
            }
        }
    }

    private func storedTenant(of licenseKey: String, _ txn: borrowing LMDBTransaction) throws(StorageError) -> String? {
        guard !licenseKey.isEmpty else { return nil }
        return try licenseKey.withUTF8Bytes { key throws(StorageError) in
            try txn.get(databases.licenses, key) { value throws(StorageError) in try RecordCodec.decodeLicense(value).tenant }
        }
    }

    /// Deletes at most `limit` records of hours before `hour` (hour records, then users'
    /// time), oldest first.
    func purgeUsageHours(before hour: Int64, limit: Int, _ txn: borrowing LMDBTransaction) throws(StorageError) -> Int {
        var purged = 0
        for database in [databases.usageHours, databases.usageUsers] {
            while purged < limit {
                // Both keys start with the hour; only it is needed here.
                guard let oldest = try txn.firstKey(database, { key throws(StorageError) in (hour: try RecordCodec.decodeUsageHourKey(key).hour, key: Array(key)) }),
                      oldest.hour < hour else { break }
                try oldest.key.withBytes { key throws(StorageError) in _ = try txn.delete(database, key) }
                purged += 1
            }
        }
        return purged
    }
}

extension StorageDatabases {
    /// Counts each license's seats in use from the live sessions, once: a store written
    /// before the rollup existed has sessions but no tallies, and their ends must not count
    /// down from zero. Runs in the open transaction, before the writer starts.
    static func buildUsageTallies(_ txn: borrowing LMDBTransaction, _ databases: StorageDatabases) throws(StorageError) {
        let built = try RecordCodec.usageTalliesBuiltKey.withBytes { key throws(StorageError) in
            try txn.get(databases.meta, key) { _ in true }
        }
        guard built == nil else { return }
        var inUse: [String: Int] = [:]
        try txn.forEach(databases.sessions) { key, value throws(StorageError) in
            inUse[try RecordCodec.decodeSession(token: try RecordCodec.decodeToken(key), value).licenseKey, default: 0] += 1
        }
        for (licenseKey, count) in inUse {
            try licenseKey.withUTF8Bytes { key throws(StorageError) in
                let tenant = try txn.get(databases.licenses, key) { value throws(StorageError) in try RecordCodec.decodeLicense(value).tenant }
                try RecordCodec.encodeUsageCount(tenant: tenant ?? License.defaultTenant, Int64(count)).withBytes { value throws(StorageError) in
                    try txn.put(databases.usageTallies, key, value)
                }
            }
        }
        try RecordCodec.usageTalliesBuiltKey.withBytes { key throws(StorageError) in
            try [UInt8(1)].withBytes { value throws(StorageError) in try txn.put(databases.meta, key, value) }
        }
    }
}
