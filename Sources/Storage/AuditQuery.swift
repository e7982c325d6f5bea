import SeatCore

/// A position in the audit log: the storage key of one event. Events are stored in
/// (time, sequence) order, so a cursor names exactly where a scan stopped.
public struct AuditCursor: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var time: Timestamp
    public var sequence: UInt64

    public init(time: Timestamp, sequence: UInt64) {
        self.time = time
        self.sequence = sequence
    }

    /// The position of a stored event.
    public init(_ event: AuditEvent) {
        self.init(time: event.time, sequence: event.sequence)
    }

    public static func < (lhs: AuditCursor, rhs: AuditCursor) -> Bool {
        (lhs.time, lhs.sequence) < (rhs.time, rhs.sequence)
    }

    public var description: String { "\(time.millisecondsSinceEpoch):\(sequence)" }
}

/// Which audit events to read. Every filter is optional; an event must match all of them.
public struct AuditQuery: Sendable, Equatable {
    /// Records examined per call at most, whatever the caller asks: a query then holds its
    /// read transaction (and so pins old pages against reuse) only for milliseconds.
    public static let maximumExaminedCap = 100_000

    /// Events at or after this time.
    public var since: Timestamp?
    /// Events before this time (exclusive, so adjacent ranges do not overlap).
    public var until: Timestamp?
    public var tenant: String?
    public var licenseKey: String?
    public var user: String?
    /// Empty means every kind.
    public var kinds: Set<AuditKind>
    /// Continue after this position: the `nextCursor` of the previous page.
    public var after: AuditCursor?
    /// Events returned at most.
    public var limit: Int
    /// Records looked at (matching or not) at most, capped by `maximumExaminedCap`.
    public var maximumExamined: Int

    public init(
        since: Timestamp? = nil,
        until: Timestamp? = nil,
        tenant: String? = nil,
        licenseKey: String? = nil,
        user: String? = nil,
        kinds: Set<AuditKind> = [],
        after: AuditCursor? = nil,
        limit: Int = 1_000,
        maximumExamined: Int = 10_000
    ) {
        self.since = since
        self.until = until
        self.tenant = tenant
        self.licenseKey = licenseKey
        self.user = user
        self.kinds = kinds
        self.after = after
        self.limit = limit
        self.maximumExamined = maximumExamined
    }

    /// Whether a stored event passes the filters other than the time range.
    func matches(_ event: AuditEvent) -> Bool {
        (kinds.isEmpty || kinds.contains(event.kind))
            && (tenant == nil || tenant == event.tenant)
            && (licenseKey == nil || licenseKey == event.licenseKey)
            && (user == nil || user == event.user)
    }
}

/// One page of query results.
public struct AuditPage: Sendable, Equatable {
    /// Matching events in log order (time, then sequence).
    public var events: [AuditEvent]
    /// Where the scan stopped: pass it as `after` to continue (the next page, or new events
    /// in follow mode). It can lie past the last returned event when the records after
    /// that did not match. Nil only when nothing was examined and no cursor was given.
    public var nextCursor: AuditCursor?
    /// True when the scan reached the end of the log or `until`; false when it stopped at
    /// `limit` or at the examination cap, so more matching events may follow right away.
    public var isComplete: Bool

    public init(events: [AuditEvent], nextCursor: AuditCursor?, isComplete: Bool) {
        self.events = events
        self.nextCursor = nextCursor
        self.isComplete = isComplete
    }
}

/// How much of the store the audit log takes.
public struct AuditUsage: Sendable, Equatable {
    public var events: Int
    /// Pages of the audit databases (branch, leaf and overflow) times the page size: what
    /// a class's budget (its share of `audit_max_mb`) is compared with.
    public var bytes: Int
}
