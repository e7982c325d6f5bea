import CLMDB
import SeatCore

/// The audit log: appended with `StoreChange.appendAudit`, read here, trimmed by retention.
extension SeatStore {
    /// Matching events from `query.since` (or after `query.after`) on, in log order.
    ///
    /// One read transaction that seeks to the start in each class's database and stops at
    /// `limit` events, at `query.maximumExamined` records looked at, or at `until`, so a
    /// query over a huge log costs no more than one page of it; `AuditPage.nextCursor`
    /// continues it. Keys are global (time, sequence), so merging the classes gives log order.
    public func auditEvents(_ query: AuditQuery) throws(StorageError) -> AuditPage {
        let examineLimit = min(max(query.maximumExamined, 0), AuditQuery.maximumExaminedCap)
        let start = max(
            AuditCursor(time: query.since ?? Timestamp(millisecondsSinceEpoch: .min), sequence: 0),
            query.after.map(Self.successor) ?? AuditCursor(time: Timestamp(millisecondsSinceEpoch: .min), sequence: 0))
        let classes = AuditClass.allCases.filter { auditClass in
            query.kinds.isEmpty || query.kinds.contains { $0.auditClass == auditClass }
        }
        return try environment.read { txn throws(StorageError) in
            var scans: [AuditScan] = []
            for auditClass in classes {
                scans.append(try scan(databases.audit[auditClass], from: start, query, examineLimit: examineLimit, txn))
            }
            return AuditScan.merge(scans, after: query.after, limit: query.limit, examineLimit: examineLimit)
        }
    }

    /// One class's part of a query: its records in key order from `start`, up to the
    /// query's limits.
    private func scan(_ database: MDB_dbi, from start: AuditCursor, _ query: AuditQuery, examineLimit: Int, _ txn: borrowing LMDBTransaction) throws(StorageError) -> AuditScan {
        var result = AuditScan()
        var matched = 0
        try RecordCodec.withAuditKey(start) { startKey throws(StorageError) in
            try txn.scan(database, from: startKey) { key, value throws(StorageError) in
                let cursor = try RecordCodec.decodeAuditKey(key)
                if let until = query.until, cursor.time >= until { return false }
                // Stopped with a record still to look at: more may match.
                guard matched < query.limit, result.records.count < examineLimit else {
                    result.isExhausted = false
                    return false
                }
                let event = try RecordCodec.decodeAuditEvent(key: cursor, value)
                let matches = query.matches(event)
                if matches { matched += 1 }
                result.records.append((cursor, matches ? event : nil))
                return true
            }
        }
        return result
    }

    /// Deletes one class's audit events oldest first: every event older than `cutoff`, then
    /// more while that class's database takes more than `maxBytes`; at most `limit` in one
    /// call (one write transaction), so call again while it returns `limit`. Other classes
    /// are untouched. Returns how many it deleted.
    public func purgeAudit(_ auditClass: AuditClass, olderThan cutoff: Timestamp, maxBytes: Int, limit: Int) async throws(StorageError) -> Int {
        try await writer.purgeAudit(auditClass, olderThan: cutoff, maxBytes: maxBytes, limit: limit).get()
    }

    /// Events stored and the bytes their databases take, from a fresh snapshot: of one
    /// class, or of the whole log.
    public func auditUsage(_ auditClass: AuditClass? = nil) throws(StorageError) -> AuditUsage {
        try environment.read { txn throws(StorageError) in
            var total = AuditUsage(events: 0, bytes: 0)
            for each in AuditClass.allCases where auditClass == nil || auditClass == each {
                let usage = try txn.usage(databases.audit[each])
                total.events += usage.entries
                total.bytes += usage.bytes
            }
            return total
        }
    }

    /// The smallest key after `cursor`.
    private static func successor(_ cursor: AuditCursor) -> AuditCursor {
        if cursor.sequence < .max { return AuditCursor(time: cursor.time, sequence: cursor.sequence + 1) }
        return AuditCursor(time: cursor.time.adding(milliseconds: 1), sequence: 0)
    }
}
