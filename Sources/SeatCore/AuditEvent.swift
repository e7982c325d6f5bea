/// What an audit event records. The raw values are stable: they appear in exported
/// JSON lines and in `seatctl audit --kind`, so never rename one.
public enum AuditKind: String, Sendable, Hashable, CaseIterable {
    /// A new seat was granted.
    case grant
    /// Acquires refused for one reason in one window (`aggregate`); `detail` says why
    /// (`noSeats`, `licenseSuspended`, ...).
    case refusal
    /// A client released its seat.
    case release
    /// A seat was reclaimed because its lease ran out.
    case expiry
    /// An administrator ended a session.
    case forceRelease = "force_release"
    /// Failed or throttled authentications from one address in one window (`aggregate`).
    case authFailure = "auth_failure"
    /// An administrative operation; `detail` names it (`license.suspend ACME-1`).
    case admin
}

/// One entry of the audit log: who did what, when, from where.
///
/// Fields that do not apply to an event are empty strings (an authentication failure has
/// no license, an admin action no hostname), so every event has the same shape.
public struct AuditEvent: Sendable, Equatable {
    /// Assigned by storage when the event is stored, strictly increasing; 0 before that.
    public var sequence: UInt64
    public var time: Timestamp
    public var kind: AuditKind
    public var tenant: String
    public var licenseKey: String
    public var user: String
    public var hostname: String
    /// The peer address as the server saw it (`10.0.0.7:50123`).
    public var address: String
    /// Kind-specific: the refusal reason, the admin operation, the session id.
    public var detail: String
    /// Set for the counted kinds (refusals, authentication failures): how many happened
    /// and when the first and last of them were seen. `nil`: one occurrence at `time`.
    public var aggregate: AuditAggregate?

    public init(
        sequence: UInt64 = 0,
        time: Timestamp,
        kind: AuditKind,
        tenant: String = "",
        licenseKey: String = "",
        user: String = "",
        hostname: String = "",
        address: String = "",
        detail: String = "",
        aggregate: AuditAggregate? = nil
    ) {
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.tenant = tenant
        self.licenseKey = licenseKey
        self.user = user
        self.hostname = hostname
        self.address = address
        self.detail = detail
        self.aggregate = aggregate
    }
}

/// Occurrences of one audited thing within one aggregation window, stored as one event.
public struct AuditAggregate: Sendable, Equatable {
    public var count: UInt64
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp

    public init(count: UInt64, firstSeen: Timestamp, lastSeen: Timestamp) {
        self.count = count
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}
