import CLMDB
import SeatCore

/// What each change, purge and the audit sequence do inside the writer's transaction.
extension StorageWriter {
    func apply(_ change: StoreChange, _ txn: borrowing LMDBTransaction, _ auditKeys: inout AuditKeyAllocator) throws(StorageError) {
        let db = databases
        switch change {
        case .appendAudit(let event):
            try recordDenial(event, txn)
            let audit = db.audit[event.kind.auditClass]
            try RecordCodec.withAuditKey(auditKeys.next(for: event.time)) { key throws(StorageError) in
                try RecordCodec.encodeAuditRecord(event).withBytes { value throws(StorageError) in
                    // Keys nearly always grow, and appending keeps the pages full (half the
                    // size of splitting them); after a clock step back the key is older.
                    if try !txn.append(audit, key, value) {
                        try txn.put(audit, key, value)
                    }
                }
            }

        case .putLicense(let license):
            try put(RecordCodec.encode(license), at: license.key, in: db.licenses, txn)

        case .deleteLicense(let licenseKey):
            try delete(licenseKey, from: db.licenses, txn)

        case .putSession(let session):
            try RecordCodec.withTokenKey(session.token) { key throws(StorageError) in
                if try txn.get(db.sessions, key, { _ in true }) == nil { try recordGrant(session, txn) }
                try RecordCodec.encode(session).withBytes { value throws(StorageError) in
                    try txn.put(db.sessions, key, value)
                }
            }

        case .refreshLease(let token, let lastHeartbeatAt, let leaseExpiresAt):
            try RecordCodec.withTokenKey(token) { key throws(StorageError) in
                // Absent means ended (or never stored): never recreate it from a heartbeat.
                let refreshed = try txn.get(db.sessions, key) { record throws(StorageError) in
                    try RecordCodec.refreshingLease(record, lastHeartbeatAt: lastHeartbeatAt, leaseExpiresAt: leaseExpiresAt)
                }
                try refreshed?.withBytes { value throws(StorageError) in
                    try txn.put(db.sessions, key, value)
                }
            }

        case .endSession(let ended):
            try RecordCodec.withTokenKey(ended.token) { key throws(StorageError) in
                // Only the end of a live session counts: a session ended twice, once.
                let live = try txn.get(db.sessions, key) { record throws(StorageError) in
                    try RecordCodec.decodeSession(token: ended.token, record)
                }
                if let live { try recordEnd(live, endedAt: ended.endedAt, txn) }
                try txn.delete(db.sessions, key)
                // A session ended twice keeps one tombstone: drop the old time index entry.
                let previous = try txn.get(db.ended, key) { record throws(StorageError) in
                    try RecordCodec.decodeEndedSession(token: ended.token, record)
                }
                if let previous {
                    try RecordCodec.withEndedByTimeKey(endedAt: previous.endedAt, token: ended.token) { timeKey throws(StorageError) in
                        _ = try txn.delete(db.endedByTime, timeKey)
                    }
                }
                try RecordCodec.encode(ended).withBytes { value throws(StorageError) in
                    try txn.put(db.ended, key, value)
                }
                try RecordCodec.withEndedByTimeKey(endedAt: ended.endedAt, token: ended.token) { timeKey throws(StorageError) in
                    try txn.put(db.endedByTime, timeKey, UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }

        case .putTenant(let tenant):
            try put(RecordCodec.encode(tenant), at: tenant.id, in: db.tenants, txn)

        case .deleteTenant(let id):
            try delete(id, from: db.tenants, txn)

        case .putAccessKey(let accessKey):
            try put(RecordCodec.encode(accessKey), at: accessKey.id, in: db.accessKeys, txn)
        }
    }

    /// Upserts a record under a UTF-8 string key.
    private func put(_ record: [UInt8], at key: String, in database: MDB_dbi, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        try key.withUTF8Bytes { key throws(StorageError) in
            try record.withBytes { value throws(StorageError) in
                try txn.put(database, key, value)
            }
        }
    }

    private func delete(_ key: String, from database: MDB_dbi, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        try key.withUTF8Bytes { key throws(StorageError) in
            _ = try txn.delete(database, key)
        }
    }

    /// Oldest first in one class's database: everything older than `cutoff`, then more
    /// while it takes more than `maxBytes`. Deleting records frees whole pages only as
    /// leaves merge, so the size is checked after every deletion rather than estimated up front.
    func purgeAudit(_ audit: MDB_dbi, olderThan cutoff: Timestamp, maxBytes: Int, limit: Int, _ txn: borrowing LMDBTransaction) throws(StorageError) -> Int {
        var purged = 0
        while purged < limit {
            guard let oldest = try txn.firstKey(audit, RecordCodec.decodeAuditKey) else { break }
            if oldest.time >= cutoff, try txn.usage(audit).bytes <= maxBytes { break }
            try RecordCodec.withAuditKey(oldest) { key throws(StorageError) in
                _ = try txn.delete(audit, key)
            }
            purged += 1
        }
        return purged
    }

    /// Where audit keys continue after a restart: the stored last sequence (kept in `meta`
    /// because retention may have deleted every event) and the newest key of any class.
    static func loadAuditKeys(_ environment: LMDBEnvironment, _ databases: StorageDatabases) throws(StorageError) -> AuditKeyAllocator {
        try environment.read { txn throws(StorageError) in
            var newest: AuditCursor?
            for auditClass in AuditClass.allCases {
                if let last = try txn.lastKey(databases.audit[auditClass], RecordCodec.decodeAuditKey), newest.map({ $0 < last }) ?? true {
                    newest = last
                }
            }
            let stored = try RecordCodec.auditSequenceKey.withBytes { key throws(StorageError) in
                try txn.get(databases.meta, key, RecordCodec.decodeSequence)
            }
            return AuditKeyAllocator(lastSequence: max(stored ?? 0, newest?.sequence ?? 0), lastTime: newest?.time)
        }
    }

    func purgeEndedSessions(endedBefore cutoff: Timestamp, limit: Int, _ txn: borrowing LMDBTransaction) throws(StorageError) -> Int {
        var purged = 0
        while purged < limit {
            guard let oldest = try txn.firstKey(databases.endedByTime, RecordCodec.decodeEndedByTimeKey),
                  oldest.endedAt < cutoff else { break }
            try RecordCodec.withTokenKey(oldest.token) { key throws(StorageError) in
                _ = try txn.delete(databases.ended, key)
            }
            try RecordCodec.withEndedByTimeKey(endedAt: oldest.endedAt, token: oldest.token) { timeKey throws(StorageError) in
                _ = try txn.delete(databases.endedByTime, timeKey)
            }
            purged += 1
        }
        return purged
    }
}
