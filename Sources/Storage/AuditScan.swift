import SeatCore

/// The records one audit class's database yielded for a query, and how they merge with
/// the other classes' into one page in log order.
struct AuditScan {
    /// Records looked at, in key order; the event only where it matched.
    var records: [(cursor: AuditCursor, event: AuditEvent?)] = []
    /// False when the scan stopped at a limit with records left.
    var isExhausted = true

    /// Merges per-class scans into one page. Beyond the smallest last key of a scan that
    /// stopped early, that class may hold records not looked at, so the page ends there:
    /// it is a prefix of the log in key order, and its cursor continues it exactly.
    static func merge(_ scans: [AuditScan], after: AuditCursor?, limit: Int, examineLimit: Int) -> AuditPage {
        // A scan stopped before its first record (a zero limit): nothing is known to be next.
        if scans.contains(where: { !$0.isExhausted && $0.records.isEmpty }) {
            return AuditPage(events: [], nextCursor: after, isComplete: false)
        }
        let bound = scans.filter { !$0.isExhausted }.compactMap { $0.records.last?.cursor }.min()
        var records = scans.flatMap(\.records)
        if let bound { records.removeAll { $0.cursor > bound } }
        records.sort { $0.cursor < $1.cursor }
        var events: [AuditEvent] = []
        var position = after
        var examined = 0
        for record in records {
            guard events.count < limit, examined < examineLimit else {
                return AuditPage(events: events, nextCursor: position, isComplete: false)
            }
            examined += 1
            position = record.cursor
            if let event = record.event { events.append(event) }
        }
        return AuditPage(events: events, nextCursor: position, isComplete: bound == nil)
    }
}
