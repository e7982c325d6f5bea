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

/// Applies usage events to hour rollups. Pure: the caller loads and stores the hours
/// (`StorageWriter` in the transaction of the change that causes the event) and keeps
/// each license's seats in use between events.
public enum UsageAccumulator {
    /// Adds `event` to the hours it changes. `load` returns a stored hour (nil: none yet),
    /// `save` is called once per changed hour, oldest first; `inUse` is the license's seats
    /// in use before the event and is left at the seats in use after it.
    public static func apply<Failure: Error>(
        _ event: UsageEvent, licenseKey: String, tenant: String, inUse: inout Int,
        load: (_ hour: Int64) throws(Failure) -> UsageHour?, save: (UsageHour) throws(Failure) -> Void
    ) throws(Failure) {
        let after = event.inUse(after: inUse)
        var peakHour = event.hours.upperBound
        if case .end(_, _, let endedAt) = event {
            // The seat was still taken just before the end: an end at the very start of an
            // hour belongs to the hour before (if the session spans it).
            peakHour = max(event.hours.lowerBound, UsageHour.hour(of: endedAt.adding(milliseconds: -1)))
        }
        for hour in event.hours {
            var rollup = try load(hour) ?? UsageHour(hour: hour, licenseKey: licenseKey, tenant: tenant)
            rollup.tenant = tenant
            switch event {
            case .grant:
                rollup.eventPeak = max(rollup.eventPeak ?? inUse, after)
            case .end(let user, let startedAt, let endedAt):
                // The seat is freed in one hour; the others only get its time.
                if hour == peakHour { rollup.eventPeak = max(rollup.eventPeak ?? inUse, inUse) }
                let overlap = overlapMilliseconds(from: startedAt, to: endedAt, hour: hour)
                if overlap > 0 { rollup.endedMilliseconds[user, default: 0] += overlap }
            case .denial(let reason, let count, _):
                rollup.denials[reason, default: 0] += count
            }
            try save(rollup)
        }
        inUse = after
    }

    /// How much of `[from, to)` lies in `hour`.
    public static func overlapMilliseconds(from: Timestamp, to: Timestamp, hour: Int64) -> Int64 {
        let start = max(from.millisecondsSinceEpoch, hour * UsageHour.milliseconds)
        let end = min(to.millisecondsSinceEpoch, (hour + 1) * UsageHour.milliseconds)
        return max(0, end - start)
    }
}
