/// The length of a report's rows: UTC clock hours, days or calendar months.
public enum UsagePeriod: String, Sendable, CaseIterable {
    case hour, day, month

    /// The start of the period holding `time`.
    public func start(of time: Timestamp) -> Timestamp {
        switch self {
        case .hour:
            return UsageHour.start(of: UsageHour.hour(of: time))
        case .day:
            let day = time.millisecondsSinceEpoch.floorDividedAndModulo(86_400_000).quotient
            return Timestamp(millisecondsSinceEpoch: day * 86_400_000)
        case .month:
            let day = time.millisecondsSinceEpoch.floorDividedAndModulo(86_400_000).quotient
            let (year, month, _) = Timestamp.civilDate(daysSinceEpoch: day)
            return Timestamp(millisecondsSinceEpoch: Timestamp.daysSinceEpoch(year: year, month: month, day: 1) * 86_400_000)
        }
    }

    /// What a report over `from`..<`to` covers: whole periods, from the start of the one
    /// holding `from` to the end of the one holding the last moment before `to`, but never
    /// past `now`. Empty (`start >= end`) when `to` is not after `from`.
    public func range(from: Timestamp, to: Timestamp, now: Timestamp) -> (start: Timestamp, end: Timestamp) {
        guard from < to else { return (from, from) }
        return (start(of: from), min(next(after: start(of: to.adding(milliseconds: -1))), now))
    }

    /// The start of the period after the one starting at `start`.
    public func next(after start: Timestamp) -> Timestamp {
        switch self {
        case .hour: return start.adding(milliseconds: UsageHour.milliseconds)
        case .day: return start.adding(milliseconds: 86_400_000)
        case .month:
            let day = start.millisecondsSinceEpoch.floorDividedAndModulo(86_400_000).quotient
            let (year, month, _) = Timestamp.civilDate(daysSinceEpoch: day)
            let next = month == 12 ? (year + 1, Int64(1)) : (year, month + 1)
            return Timestamp(millisecondsSinceEpoch: Timestamp.daysSinceEpoch(year: next.0, month: next.1, day: 1) * 86_400_000)
        }
    }
}

/// A session still open, whose time so far a report adds to the stored rollups.
public struct OpenSession: Sendable, Equatable {
    public var licenseKey: String
    public var tenant: String
    public var user: String
    public var startedAt: Timestamp

    public init(licenseKey: String, tenant: String, user: String, startedAt: Timestamp) {
        self.licenseKey = licenseKey
        self.tenant = tenant
        self.user = user
        self.startedAt = startedAt
    }
}

/// One license's use over one period (or, folded, over a whole report's range).
public struct UsageSummary: Sendable, Equatable {
    public var licenseKey: String
    public var tenant: String
    public var periodStart: Timestamp
    public var periodEnd: Timestamp
    /// The part of the period that has passed: all of it, or up to `now` for the current one.
    public var elapsedMilliseconds: Int64 = 0
    public var peakInUse = 0
    /// Seats in use integrated over time: the sessions' time within the period.
    public var seatMilliseconds: Int64 = 0
    public var userMilliseconds: [String: Int64] = [:]
    public var denials: [String: UInt64] = [:]

    public init(licenseKey: String, tenant: String, periodStart: Timestamp, periodEnd: Timestamp) {
        self.licenseKey = licenseKey
        self.tenant = tenant
        self.periodStart = periodStart
        self.periodEnd = periodEnd
    }

    /// Time-weighted seats in use over the part of the period that has passed.
    public var averageInUse: Double {
        elapsedMilliseconds > 0 ? Double(seatMilliseconds) / Double(elapsedMilliseconds) : 0
    }

    /// Users with any session time in the period.
    public var distinctUsers: Int { userMilliseconds.count }

    /// Adds a later part of the same license's use (a later hour, or a later period).
    mutating func add(_ later: UsageSummary) {
        periodEnd = max(periodEnd, later.periodEnd)
        elapsedMilliseconds += later.elapsedMilliseconds
        peakInUse = max(peakInUse, later.peakInUse)
        seatMilliseconds += later.seatMilliseconds
        userMilliseconds.merge(later.userMilliseconds, uniquingKeysWith: +)
        denials.merge(later.denials, uniquingKeysWith: +)
    }
}

/// Turns stored hours and open sessions into per-period summaries. Pure: `now` is given.
public enum UsageSummarizer {
    /// Per license (ordered by key) and period, over `period.range(from:to:now:)`. Every license of `licenses`
    /// (key -> tenant) gets rows, used or not, as does every license found in `hours` or
    /// `open` (a license deleted since). `hours` may hold any hours: those outside the
    /// range are ignored.
    public static func summarize(
        hours: [UsageHour], open: [OpenSession], licenses: [String: String],
        from: Timestamp, to: Timestamp, now: Timestamp, by period: UsagePeriod
    ) -> [UsageSummary] {
        let (first, last) = period.range(from: from, to: to, now: now)
        guard first < last else { return [] }
        let firstHour = UsageHour.hour(of: first)
        let lastHour = UsageHour.hour(of: last.adding(milliseconds: -1))

        var byHour: [String: [Int64: UsageHour]] = [:]
        var tenants = licenses
        for stored in hours where (firstHour...lastHour).contains(stored.hour) {
            byHour[stored.licenseKey, default: [:]][stored.hour] = stored
            if tenants[stored.licenseKey] == nil { tenants[stored.licenseKey] = stored.tenant }
        }
        // Open sessions' time so far, in the hours where stored ones keep ended sessions'.
        for session in open where session.startedAt < now {
            if tenants[session.licenseKey] == nil { tenants[session.licenseKey] = session.tenant }
            for hour in max(UsageHour.hour(of: session.startedAt), firstHour)...lastHour {
                let overlap = UsageHour.overlapMilliseconds(from: session.startedAt, to: now, hour: hour)
                guard overlap > 0 else { continue }
                byHour[session.licenseKey, default: [:]][hour, default: UsageHour(hour: hour, licenseKey: session.licenseKey, tenant: session.tenant)]
                    .endedMilliseconds[session.user, default: 0] += overlap
            }
        }

        var summaries: [UsageSummary] = []
        for (licenseKey, tenant) in tenants.sorted(by: { $0.key < $1.key }) {
            let stored = byHour[licenseKey] ?? [:]
            var start = first
            while start < last {
                let end = period.next(after: start)
                var summary = UsageSummary(licenseKey: licenseKey, tenant: tenant, periodStart: start, periodEnd: min(end, last))
                for hour in UsageHour.hour(of: start)...UsageHour.hour(of: min(end, last).adding(milliseconds: -1)) {
                    summary.add(hourSummary(stored[hour], hour: hour, licenseKey: licenseKey, tenant: tenant, end: last))
                }
                summaries.append(summary)
                start = end
            }
        }
        return summaries
    }

    /// One license's whole range: the summaries of each license folded into one.
    public static func fold(_ summaries: [UsageSummary]) -> [UsageSummary] {
        var folded: [UsageSummary] = []
        for summary in summaries {
            if let index = folded.indices.last, folded[index].licenseKey == summary.licenseKey {
                folded[index].add(summary)
            } else {
                folded.append(summary)
            }
        }
        return folded
    }

    /// `rangeEnd`: the report's end; the hour is cut there (the current hour, at now).
    private static func hourSummary(_ stored: UsageHour?, hour: Int64, licenseKey: String, tenant: String, end rangeEnd: Timestamp) -> UsageSummary {
        let start = UsageHour.start(of: hour)
        let end = min(UsageHour.start(of: hour + 1), rangeEnd)
        var summary = UsageSummary(licenseKey: licenseKey, tenant: tenant, periodStart: start, periodEnd: end)
        summary.elapsedMilliseconds = end.millisecondsSinceEpoch - start.millisecondsSinceEpoch
        guard let stored else { return summary }
        summary.userMilliseconds = stored.endedMilliseconds.filter { $0.value > 0 }
        summary.seatMilliseconds = stored.endedMilliseconds.values.reduce(0, +)
        summary.denials = stored.denials
        // Without a grant or an end the seats in use were constant all hour, so the seat
        // time is a whole multiple of the hour's elapsed time.
        let elapsed = summary.elapsedMilliseconds
        summary.peakInUse = stored.eventPeak ?? Int((summary.seatMilliseconds + elapsed / 2) / max(elapsed, 1))
        return summary
    }
}
