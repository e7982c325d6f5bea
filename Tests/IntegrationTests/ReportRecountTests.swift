import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// `seatctl report` against a brute-force recount of `seatctl audit`, across a SIGKILL in
/// the middle of a storm of acquires and releases: the rollup is written in the commits
/// of the grants and ends (and refusal counts) the audit records, so whatever the kill
/// cut off is missing from both, and nothing is counted twice after the restart.
@Suite struct ReportRecountTests {
    static let license = "STORM"
    static let hour: Int64 = 3_600_000

    /// Acquires on `connections` in parallel: each keeps its newest seat and releases the
    /// one before, so the license fills up and some acquires are refused (`noSeats`).
    /// A connection refused releases its seat instead.
    static func storm(_ connections: [SeatConnection], attempts: Int, tag: String, held: HeldSeats) -> Task<Void, Never> {
        Task {
            await withTaskGroup(of: Void.self) { group in
                for (index, connection) in connections.enumerated() {
                    group.addTask {
                        var kept: SessionToken?
                        for attempt in 0..<attempts {
                            let user = "u\((index + attempt) % 6)"
                            let hardware = "\(tag)-\(index)-\(attempt)"
                            let grant = try? await connection.acquire(licenseKey: license, user: user, hostname: "h", hardwareID: hardware, clientVersion: "1")
                            if let grant { await held.add(grant.token) }
                            // Refused: give the kept seat back, so the others get on.
                            if let previous = kept, (try? await connection.release(previous)) != nil {
                                await held.remove(previous)
                                kept = nil
                            }
                            kept = grant?.token ?? kept
                        }
                    }
                }
            }
        }
    }

    /// One `seatctl … --json` run's standard output.
    static func seatctl(_ arguments: [String], _ daemon: DaemonProcess) async throws -> String {
        let run = try await SeatctlProcess.run(arguments + ["--admin-socket", try await daemon.adminSocket()], daemon: daemon)
        guard run.status == 0 else { throw RecountFailure(description: "seatctl \(arguments) failed (\(run.status)): \(run.stderr)") }
        return run.stdout
    }

    static func milliseconds(_ value: Any?) throws -> Int64 {
        guard let text = value as? String, let date = AdminJSON.parseTime(text) else { throw RecountFailure(description: "not a time: \(String(describing: value))") }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Every audit event of the license, in log (commit) order.
    static func audit(_ daemon: DaemonProcess) async throws -> [[String: Any]] {
        try await seatctl(["audit", "--json", "--license", license], daemon).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// What the reports must say, recounted from the audit alone: per hour, the most
    /// sessions held at once (replaying grants and ends in commit order), the users with
    /// session time in the hour, and the refused acquires by reason.
    struct Recount: Equatable, CustomStringConvertible {
        var peaks: [Int64: Int] = [:]
        var users: [Int64: Set<String>] = [:]
        var denials: [Int64: [String: Int]] = [:]

        var description: String { "peaks \(peaks.sorted { $0.key < $1.key }), users \(users.sorted { $0.key < $1.key }), denials \(denials.sorted { $0.key < $1.key })" }

        init() {}

        /// Hours from the one holding `from` up to `now`.
        init(audit: [[String: Any]], from: Int64, now: Int64) throws {
            var sessions: [String: (user: String, start: Int64, end: Int64?)] = [:]
            var replay: [(time: Int64, change: Int)] = []
            for event in audit {
                let time = try milliseconds(event["time"])
                let kind = event["kind"] as? String ?? ""
                let session = (event["detail"] as? String ?? "").split(separator: " ").first.map(String.init) ?? ""
                switch kind {
                case "grant":
                    sessions[session] = (event["user"] as? String ?? "", time, nil)
                    replay.append((time, 1))
                case "release", "expiry", "force_release":
                    guard sessions[session]?.end == nil else { continue }
                    sessions[session]?.end = time
                    replay.append((time, -1))
                case "refusal":
                    let first = try milliseconds(event["first"])
                    denials[first.floorHour, default: [:]][event["detail"] as? String ?? "", default: 0] += event["count"] as? Int ?? 0
                default:
                    break
                }
            }
            var inUse = 0
            var next = replay.startIndex
            let hours = stride(from: from.floorHour, through: (now - 1).floorHour, by: Int(ReportRecountTests.hour))
            for hour in hours {
                var peak = inUse
                while next < replay.endIndex, replay[next].time < hour + ReportRecountTests.hour {
                    inUse += replay[next].change
                    peak = max(peak, inUse)
                    next += 1
                }
                peaks[hour] = peak
                for session in sessions.values where min(session.end ?? now, now, hour + ReportRecountTests.hour) > max(session.start, hour) {
                    users[hour, default: []].insert(session.user)
                }
            }
        }

        /// The same figures, as the three reports (by hour) show them.
        init(usage: [[String: Any]], users userRows: [[String: Any]], denials denialRows: [[String: Any]]) throws {
            for row in usage where row["license"] as? String == license {
                peaks[try milliseconds(row["period_start"])] = row["peak_in_use"] as? Int
            }
            for row in userRows where row["license"] as? String == license {
                users[try milliseconds(row["period_start"]), default: []].insert(row["user"] as? String ?? "")
            }
            for row in denialRows where row["license"] as? String == license {
                denials[try milliseconds(row["period_start"]), default: [:]][row["reason"] as? String ?? ""] = row["count"] as? Int
            }
        }
    }

    /// The three reports by hour and the recount, from one moment: the audit read before
    /// and after the reports is the same (else a write came between, and it reads again).
    static func reportsAndRecount(_ daemon: DaemonProcess, from: String) async throws -> (reported: Recount, recounted: Recount, usage: [[String: Any]]) {
        for _ in 0..<20 {
            let before = try await audit(daemon)
            var replies: [[String: Any]] = []
            for report in ["usage", "users", "denials"] {
                let json = try await seatctl(["report", report, "--by", "hour", "--from", from, "--format", "json"], daemon)
                replies.append(try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]))
            }
            let after = try await audit(daemon)
            guard before.count == after.count, before.last?["seq"] as? Int == after.last?["seq"] as? Int else { continue }
            let rows = replies.map { $0["rows"] as? [[String: Any]] ?? [] }
            let reported = try Recount(usage: rows[0], users: rows[1], denials: rows[2])
            let recounted = try Recount(audit: after, from: try milliseconds(replies[0]["from"]), now: try milliseconds(replies[0]["to"]))
            return (reported, recounted, rows[0])
        }
        throw RecountFailure(description: "the audit log never held still across one set of reports")
    }

    @Test func reportsMatchARecountOfTheAuditAcrossASigkill() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        // Refusals are counted over one-second windows, written by the next sweep.
        let settings = DaemonProcess.durable.merging(["audit_aggregation_window_seconds": "1", "sweep_interval_seconds": "0.2"]) { $1 }
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: Self.license, seats: 6)], stateDirectory: stateDirectory, settings: settings)
        let from = AdminJSON.formatTime(Date().addingTimeInterval(-60))
        var connections: [SeatConnection] = []
        for _ in 0..<8 { connections.append(try await first.connect()) }
        let held = HeldSeats()
        let storm = Self.storm(connections, attempts: 150, tag: "a", held: held)
        // Killed in the middle of the storm: grants and releases in flight.
        for _ in 0..<400 where await held.grants < 40 {
            try await Task.sleep(for: .milliseconds(25))
        }
        await first.kill()
        await storm.value
        #expect(await held.grants >= 40, "the storm was under way when seatd was killed")

        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: settings).use { second in
            var again: [SeatConnection] = []
            for _ in 0..<8 { again.append(try await second.connect()) }
            await Self.storm(again, attempts: 40, tag: "b", held: held).value
            // Some seats from before the kill are released now, the rest stay open.
            let client = again[0]
            for token in await held.tokens.prefix(3) {
                _ = try? await client.release(token)
            }

            // The refusals of the storm's last window are written once it has ended (1 s
            // and a sweep); wait for them, up to 20 times that.
            for _ in 0..<100 {
                if try await !Self.seatctl(["audit", "--json", "--kind", "refusal", "--license", Self.license], second).isEmpty { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            let (reported, recounted, usage) = try await Self.reportsAndRecount(second, from: from)
            #expect(reported == recounted, "reported: \(reported)\nrecounted: \(recounted)")
            #expect(recounted.peaks.values.max() == 6, "the license filled up")
            #expect(recounted.denials.values.contains { $0["noSeats", default: 0] > 0 }, "some acquires were refused")
            #expect(usage.allSatisfy { $0["seats"] as? Int == 6 })

            // The same report as CSV: a header row and one line per row.
            let csv = try await Self.seatctl(["report", "usage", "--by", "hour", "--from", from, "--format", "csv"], second)
            let lines = csv.components(separatedBy: "\r\n")
            #expect(lines.first == "period_start,license,tenant,seats,peak_in_use,average_in_use,distinct_users,user_hours,denials")
            #expect(lines.count == usage.count + 2 && lines.last == "")
            for connection in again { await connection.close() }
        }
    }
}

struct RecountFailure: Error, CustomStringConvertible {
    var description: String
}

/// Seats granted (all counted) and those still held.
actor HeldSeats {
    private(set) var grants = 0
    private var held: [SessionToken] = []

    var tokens: [SessionToken] { held }

    func add(_ token: SessionToken) {
        grants += 1
        held.append(token)
    }

    func remove(_ token: SessionToken) {
        held.removeAll { $0 == token }
    }
}

extension Int64 {
    /// The start of the UTC hour holding this time (milliseconds since the epoch).
    fileprivate var floorHour: Int64 { self - self % ReportRecountTests.hour }
}
