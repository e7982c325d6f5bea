import SeatCore

/// The audit log: appended with `StoreChange.appendAudit`, read here, trimmed by retention.
extension SeatStore {
    /// Matching events from `query.since` (or after `query.after`) on, in log order.
    ///
    /// One read transaction that seeks to the start and stops at `limit` events, at
    /// `query.maximumExamined` records looked at, or at `until`, so a query over a huge
    /// log costs no more than one page of it; `AuditPage.nextCursor` continues it.
    public func auditEvents(_ query: AuditQuery) throws(StorageError) -> AuditPage {
        let examineLimit = min(max(query.maximumExamined, 0), AuditQuery.maximumExaminedCap)
        let start = max(
            AuditCursor(time: query.since ?? Timestamp(millisecondsSinceEpoch: .min), sequence: 0),
            query.after.map(Self.successor) ?? AuditCursor(time: Timestamp(millisecondsSinceEpoch: .min), sequence: 0))
        return try environment.read { txn throws(StorageError) in
            var events: [AuditEvent] = []
            var examined = 0
            var position = query.after
            var isComplete = true
            try RecordCodec.withAuditKey(start) { startKey throws(StorageError) in
                try txn.scan(databases.audit, from: startKey) { key, value throws(StorageError) in
                    let cursor = try RecordCodec.decodeAuditKey(key)
                    if let until = query.until, cursor.time >= until { return false }
                    // Stopped with a record still to look at: more may match.
                    guard events.count < query.limit, examined < examineLimit else {
                        isComplete = false
                        return false
                    }
                    examined += 1
                    position = cursor
                    let event = try RecordCodec.decodeAuditEvent(key: cursor, value)
                    if query.matches(event) { events.append(event) }
                    return true
                }
            }
            return AuditPage(events: events, nextCursor: position, isComplete: isComplete)
        }
    }

    /// Deletes audit events oldest first: every event older than `cutoff`, then more while
    /// the audit database takes more than `maxBytes`; at most `limit` in one call (one
    /// write transaction), so call again while it returns `limit`. Returns how many it deleted.
    public func purgeAudit(olderThan cutoff: Timestamp, maxBytes: Int, limit: Int) async throws(StorageError) -> Int {
        try await writer.purgeAudit(olderThan: cutoff, maxBytes: maxBytes, limit: limit).get()
    }

    /// Events stored and the bytes their database takes, from a fresh snapshot.
    public func auditUsage() throws(StorageError) -> AuditUsage {
        try environment.read { txn throws(StorageError) in
            let usage = try txn.usage(databases.audit)
            return AuditUsage(events: usage.entries, bytes: usage.bytes)
        }
    }

    /// The smallest key after `cursor`.
    private static func successor(_ cursor: AuditCursor) -> AuditCursor {
        if cursor.sequence < .max { return AuditCursor(time: cursor.time, sequence: cursor.sequence + 1) }
        return AuditCursor(time: cursor.time.adding(milliseconds: 1), sequence: 0)
    }
}
