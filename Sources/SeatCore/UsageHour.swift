/// One license's use in one UTC clock hour, as the store keeps it (the usage rollup).
///
/// Only what cannot be derived later is kept: the seats in use at the hour's grants and
/// ends, the time of sessions that have ended, and the denials. The time of sessions
/// still open is added when a report is made (`UsageSummarizer`), from the live sessions,
/// so nothing has to be written while nothing happens.
public struct UsageHour: Sendable, Equatable {
    public static let milliseconds: Int64 = 3_600_000

    /// Whole hours since the Unix epoch (UTC).
    public var hour: Int64
    public var licenseKey: String
    public var tenant: String
    /// The most seats in use at any grant or end of the hour, the seats in use just before
    /// its first one included. `nil`: no grant or end in this hour, so seats in use were
    /// constant all hour (and are the hour's seat time divided by its length).
    public var eventPeak: Int?
    /// Per user, the time within this hour of that user's sessions that have ended.
    public var endedMilliseconds: [String: Int64]
    /// Refused acquires per reason (the wire error code's name: `noSeats`, `licenseSuspended`, ...).
    public var denials: [String: UInt64]

    public init(
        hour: Int64, licenseKey: String, tenant: String, eventPeak: Int? = nil,
        endedMilliseconds: [String: Int64] = [:], denials: [String: UInt64] = [:]
    ) {
        self.hour = hour
        self.licenseKey = licenseKey
        self.tenant = tenant
        self.eventPeak = eventPeak
        self.endedMilliseconds = endedMilliseconds
        self.denials = denials
    }

    /// The hour holding `time`.
    public static func hour(of time: Timestamp) -> Int64 {
        time.millisecondsSinceEpoch.floorDividedAndModulo(milliseconds).quotient
    }

    public static func start(of hour: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: hour * milliseconds)
    }
}

/// What changes a license's rollup: a session granted or ended, acquires refused.
public enum UsageEvent: Sendable, Equatable {
    case grant(user: String, at: Timestamp)
    /// A session of `user` that was granted at `startedAt` ended at `at`.
    case end(user: String, startedAt: Timestamp, at: Timestamp)
    /// `count` acquires refused for `reason`, the first of them at `at`.
    case denial(reason: String, count: UInt64, at: Timestamp)

    /// The hours whose rollup the event changes, oldest first: an end spreads its
    /// session's time over every hour the session spanned.
    public var hours: ClosedRange<Int64> {
        switch self {
        case .grant(_, let time), .denial(_, _, let time):
            let hour = UsageHour.hour(of: time)
            return hour...hour
        case .end(_, let startedAt, let endedAt):
            let last = UsageHour.hour(of: endedAt)
            return min(UsageHour.hour(of: startedAt), last)...last
        }
    }

    /// Seats in use after the event, given `inUse` just before it.
    public func inUse(after inUse: Int) -> Int {
        switch self {
        case .grant: inUse + 1
        case .end: max(0, inUse - 1)
        case .denial: inUse
        }
    }
}

/// One event's change to one hour of its license's rollup. Each is small and touches one
/// record, so an end costs the same however many users the hour already has.
public enum UsageChange: Sendable, Equatable {
    /// The hour had a grant or an end with this many seats in use at it.
    case peak(hour: Int64, atLeast: Int)
    /// Time of an ended session within the hour.
    case sessionTime(hour: Int64, user: String, milliseconds: Int64)
    case denials(hour: Int64, reason: String, count: UInt64)

    public var hour: Int64 {
        switch self {
        case .peak(let hour, _), .sessionTime(let hour, _, _), .denials(let hour, _, _): hour
        }
    }
}

extension UsageEvent {
    /// What the event changes, given the license's seats in use just before it (pure: the
    /// storage writer applies them in the transaction of the change that causes the event,
    /// and keeps the seats in use with `inUse(after:)`).
    public func changes(inUse: Int) -> [UsageChange] {
        switch self {
        case .grant(_, let time):
            return [.peak(hour: UsageHour.hour(of: time), atLeast: inUse + 1)]
        case .end(let user, let startedAt, let endedAt):
            // The seat was still taken just before the end: an end at the very start of an
            // hour belongs to the hour before (if the session spans it).
            let peakHour = max(hours.lowerBound, UsageHour.hour(of: endedAt.adding(milliseconds: -1)))
            var changes: [UsageChange] = [.peak(hour: peakHour, atLeast: inUse)]
            for hour in hours {
                let overlap = UsageHour.overlapMilliseconds(from: startedAt, to: endedAt, hour: hour)
                if overlap > 0 { changes.append(.sessionTime(hour: hour, user: user, milliseconds: overlap)) }
            }
            return changes
        case .denial(let reason, let count, let time):
            return [.denials(hour: UsageHour.hour(of: time), reason: reason, count: count)]
        }
    }
}

extension UsageHour {
    /// Applies `change`, which must be of this hour.
    public mutating func apply(_ change: UsageChange) {
        switch change {
        case .peak(_, let inUse): eventPeak = max(eventPeak ?? 0, inUse)
        case .sessionTime(_, let user, let milliseconds): endedMilliseconds[user, default: 0] += milliseconds
        case .denials(_, let reason, let count): denials[reason, default: 0] += count
        }
    }

    /// How much of `[from, to)` lies in `hour`.
    public static func overlapMilliseconds(from: Timestamp, to: Timestamp, hour: Int64) -> Int64 {
        let start = max(from.millisecondsSinceEpoch, hour * milliseconds)
        let end = min(to.millisecondsSinceEpoch, (hour + 1) * milliseconds)
        return max(0, end - start)
    }
}
