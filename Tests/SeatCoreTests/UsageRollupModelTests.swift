import SeatCore
import Testing

/// Seeded randomized test of the usage rollup: many grants, ends and denials over weeks
/// of a manual timeline go through `UsageEvent.changes` into hour buckets, the way the
/// storage writer does; `UsageSummarizer` then reports them by hour, day and month, and
/// every figure must equal a brute-force recount from the list of sessions and denials.
@Suite("Usage rollup: randomized recount")
struct UsageRollupModelTests {
    static let licenses = ["CAD", "SIM", "EDA"]
    static let users = ["ann", "bob", "cy", "dee", "eve"]
    static let reasons = ["noSeats", "licenseSuspended", "licenseExpired"]
    /// 2026-01-28T00:00:00Z: the timeline crosses into February.
    static let start = ts(1_769_558_400_000)

    struct Denial {
        var licenseKey: String
        var reason: String
        var count: UInt64
        var at: Timestamp
    }

    struct Run {
        var sessions: [(licenseKey: String, user: String, start: Timestamp, end: Timestamp?)] = []
        var denials: [Denial] = []
        var stored: [String: [Int64: UsageHour]] = [:]
        var inUse: [String: Int] = [:]
        var now: Timestamp

        init(seed: UInt64, steps: Int) {
            var rng = SplitMix64(seed: seed)
            now = UsageRollupModelTests.start
            for _ in 0..<steps {
                // Strictly increasing times: at one instant, one event; now and then at the
                // very start of an hour.
                now = now.adding(milliseconds: 1 + Int64(rng.next() % (rng.next() % 4 == 0 ? 10_800_000 : 600_000)))
                if rng.next() % 8 == 0 { now = UsageHour.start(of: UsageHour.hour(of: now) + 1) }
                let open = sessions.indices.filter { sessions[$0].end == nil }
                switch rng.next() % 10 {
                case 0..<4:
                    let licenseKey = UsageRollupModelTests.licenses[Int(rng.next() % 3)]
                    let user = UsageRollupModelTests.users[Int(rng.next() % 5)]
                    sessions.append((licenseKey, user, now, nil))
                    apply(.grant(user: user, at: now), licenseKey)
                case 4..<8 where !open.isEmpty:
                    let index = open[Int(rng.next() % UInt64(open.count))]
                    sessions[index].end = now
                    apply(.end(user: sessions[index].user, startedAt: sessions[index].start, at: now), sessions[index].licenseKey)
                default:
                    let denial = Denial(
                        licenseKey: UsageRollupModelTests.licenses[Int(rng.next() % 3)],
                        reason: UsageRollupModelTests.reasons[Int(rng.next() % 3)], count: 1 + rng.next() % 50, at: now)
                    denials.append(denial)
                    apply(.denial(reason: denial.reason, count: denial.count, at: now), denial.licenseKey)
                }
            }
            // One session is still open when the report is made.
            now = now.adding(milliseconds: 1)
            sessions.append(("CAD", "ann", now, nil))
            apply(.grant(user: "ann", at: now), "CAD")
            now = now.adding(milliseconds: Int64(rng.next() % 5_000_000))
        }

        /// What the storage writer does in its transaction, on a dictionary.
        mutating func apply(_ event: UsageEvent, _ licenseKey: String) {
            let inUse = inUse[licenseKey, default: 0]
            for change in event.changes(inUse: inUse) {
                stored[licenseKey, default: [:]][change.hour, default: UsageHour(hour: change.hour, licenseKey: licenseKey, tenant: "t-" + licenseKey)].apply(change)
            }
            self.inUse[licenseKey] = event.inUse(after: inUse)
        }

        var openSessions: [OpenSession] {
            sessions.filter { $0.end == nil }.map { OpenSession(licenseKey: $0.licenseKey, tenant: "t-" + $0.licenseKey, user: $0.user, startedAt: $0.start) }
        }

        /// The recount: one license, one hour, straight from the sessions and denials.
        func recount(_ licenseKey: String, hour: Int64) -> UsageSummary {
            let hourStart = UsageHour.start(of: hour)
            let hourEnd = min(UsageHour.start(of: hour + 1), now)
            var summary = UsageSummary(licenseKey: licenseKey, tenant: "t-" + licenseKey, periodStart: hourStart, periodEnd: hourEnd)
            summary.elapsedMilliseconds = hourEnd.millisecondsSinceEpoch - hourStart.millisecondsSinceEpoch
            let mine = sessions.filter { $0.licenseKey == licenseKey }
            func active(at time: Timestamp) -> Int { mine.filter { $0.start <= time && ($0.end ?? now) > time }.count }
            // Seats in use change only at grants and ends; the most is at the hour's start
            // or right after a grant in it.
            summary.peakInUse = ([hourStart] + mine.map(\.start).filter { $0 >= hourStart && $0 < hourEnd }).map(active).max()!
            for session in mine {
                let overlap = UsageHour.overlapMilliseconds(from: session.start, to: session.end ?? now, hour: hour)
                guard overlap > 0 else { continue }
                summary.seatMilliseconds += overlap
                summary.userMilliseconds[session.user, default: 0] += overlap
            }
            for denial in denials where denial.licenseKey == licenseKey && UsageHour.hour(of: denial.at) == hour {
                summary.denials[denial.reason, default: 0] += denial.count
            }
            return summary
        }
    }

    @Test("rollups equal a brute-force recount, by hour, day and month", arguments: 0..<8)
    func recount(seed: UInt64) async {
        let run = Run(seed: 0x0005_A6E0 + seed, steps: 600)
        for period in UsagePeriod.allCases {
            await Task.yield()  // each recount is a second of CPU: let the other tests' jobs run between them
            let reported = UsageSummarizer.summarize(
                hours: run.stored.values.flatMap(\.values), open: run.openSessions, licenses: [:],
                from: Self.start, to: run.now.adding(milliseconds: 1), now: run.now, by: period)
            var expected: [UsageSummary] = []
            for licenseKey in Self.licenses.sorted() {
                var periodStart = period.start(of: Self.start)
                while periodStart < run.now {
                    let next = period.next(after: periodStart)
                    var summary = UsageSummary(licenseKey: licenseKey, tenant: "t-" + licenseKey, periodStart: periodStart, periodEnd: min(next, run.now))
                    for hour in UsageHour.hour(of: periodStart)...UsageHour.hour(of: min(next, run.now).adding(milliseconds: -1)) {
                        let hourly = run.recount(licenseKey, hour: hour)
                        summary.elapsedMilliseconds += hourly.elapsedMilliseconds
                        summary.peakInUse = max(summary.peakInUse, hourly.peakInUse)
                        summary.seatMilliseconds += hourly.seatMilliseconds
                        summary.userMilliseconds.merge(hourly.userMilliseconds, uniquingKeysWith: +)
                        summary.denials.merge(hourly.denials, uniquingKeysWith: +)
                    }
                    expected.append(summary)
                    periodStart = next
                }
            }
            #expect(reported.count == expected.count, "\(period)")
            for (got, want) in zip(reported, expected) where got != want {
                Issue.record("seed \(seed), by \(period): \(got.licenseKey) \(got.periodStart.iso8601): got \(got), want \(want)")
                return
            }
        }
        // The timeline really exercised what matters.
        #expect(run.sessions.count > 150 && run.denials.count > 50)
        #expect(run.stored.values.contains { $0.values.contains { $0.eventPeak == nil } }, "some hour holds only time of a session spanning it")
        #expect(UsagePeriod.month.start(of: run.now) > Self.start, "the timeline crosses a month")
    }

    @Test("a month starts on the first and the next one follows it, across a year")
    func months() {
        let december = UsagePeriod.month.start(of: ts(1_796_860_800_000 + 5 * 86_400_000 + 123))  // 2026-12-06
        #expect(december.iso8601 == "2026-12-01T00:00:00.000Z")
        #expect(UsagePeriod.month.next(after: december).iso8601 == "2027-01-01T00:00:00.000Z")
        #expect(UsagePeriod.month.next(after: ts(1_769_904_000_000)).iso8601 == "2026-03-01T00:00:00.000Z")  // from 2026-02-01
        #expect(UsagePeriod.day.start(of: ts(1_769_904_000_000 + 86_399_999)).iso8601 == "2026-02-01T00:00:00.000Z")
        // A range is whole periods, cut at now.
        let february = ts(1_769_904_000_000)
        let range = UsagePeriod.day.range(from: february.adding(milliseconds: 5), to: february.adding(milliseconds: 86_400_000), now: ts(.max))
        #expect(range.start == february && range.end == february.adding(milliseconds: 86_400_000))
        #expect(UsagePeriod.month.range(from: february, to: february.adding(milliseconds: 1), now: february.adding(milliseconds: 7)).end == february.adding(milliseconds: 7))
    }

    @Test("report cells: hours as hundredths, trueup against seats")
    func reportCells() {
        var summary = UsageSummary(licenseKey: "CAD", tenant: "acme", periodStart: ts(0), periodEnd: ts(3_600_000))
        summary.elapsedMilliseconds = 3_600_000
        summary.peakInUse = 3
        summary.seatMilliseconds = 5_400_000
        summary.userMilliseconds = ["ann": 3_600_000, "bob": 1_800_000]
        summary.denials = ["noSeats": 4, "licenseSuspended": 1]
        let usage = UsageReport(.usage, [summary], seats: ["CAD": 4])
        #expect(usage.rows == [[.time(ts(0)), .text("CAD"), .text("acme"), .integer(4), .integer(3), .hundredths(150), .integer(2), .hundredths(150), .integer(5)]])
        #expect(usage.columns.count == usage.rows[0].count)
        let trueup = UsageReport(.trueup, [summary, summary], seats: [:])
        #expect(trueup.rows == [[.text("CAD"), .text("acme"), .none, .integer(3), .none, .none, .hundredths(150), .integer(8), .time(ts(0)), .time(ts(3_600_000))]])
        let full = UsageReport(.trueup, [summary], seats: ["CAD": 4])
        #expect(full.rows[0][4...5] == [.integer(1), .hundredths(7500)])
        #expect(UsageReport(.users, [summary], seats: [:]).rows.map { Array($0[3...]) } == [[.text("ann"), .hundredths(100)], [.text("bob"), .hundredths(50)]])
        #expect(UsageReport(.denials, [summary], seats: [:]).rows.map { Array($0[3...]) } == [[.text("licenseSuspended"), .integer(1)], [.text("noSeats"), .integer(4)]])
    }
}
