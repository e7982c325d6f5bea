import Foundation
import SeatCore
@testable import SeatServer
import SeatStorage
import Testing

/// The admin operation `report` over real seats and a real store, on the manual clock.
@Suite struct UsageReportTests {
    static let minute: Int64 = 60_000

    /// LIC-1 (2 seats, default tenant): alice for the first hour, bob from minute 30 on.
    /// ACME-1 (1 seat, tenant acme): carol from minute 60 on. Now is minute 90.
    static func fixture() async throws -> (SeatServiceFixture, UsageReports, start: Timestamp) {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 2), testLicense("ACME-1", seats: 1, tenant: "acme")])
        let start = seats.clock.now()
        let alice = try await seats.acquire("alice").get().session
        seats.advance(milliseconds: 30 * minute)
        _ = try await seats.acquire("bob").get()
        seats.advance(milliseconds: 30 * minute)
        _ = try await seats.release(alice.token).get()
        _ = try await seats.acquire("carol", license: "ACME-1").get()
        seats.advance(milliseconds: 30 * minute)
        return (seats, UsageReports(store: seats.store, service: seats.service, clock: seats.clock), start)
    }

    static func request(_ members: [String: String]) throws -> AdminArguments {
        let data = try JSONSerialization.data(withJSONObject: members.merging(["op": "report"]) { $1 })
        return try AdminArguments(json: String(decoding: data, as: UTF8.self))
    }

    static func rows(_ reply: [String: Any]) -> [[String]] {
        let columns = reply["columns"] as! [String]
        func text(_ value: Any?) -> String {
            guard let value else { return "" }
            if let number = value as? Double { return number == number.rounded() ? String(Int64(number)) : String(number) }
            return "\(value)"
        }
        return (reply["rows"] as! [[String: Any]]).map { row in columns.map { text(row[$0]) } }
    }

    @Test func usageByHourCountsEndedAndOpenSessions() async throws {
        let (seats, reports, start) = try await Self.fixture()
        defer { seats.remove() }
        let reply = try await reports.report(Self.request(["report": "usage", "by": "hour", "from": AdminTime.format(start)]), as: .administrator)
        #expect(reply["columns"] as? [String] == ["period_start", "license", "tenant", "seats", "peak_in_use", "average_in_use", "distinct_users", "user_hours", "denials"])
        let hour0 = AdminTime.format(start)
        let hour1 = AdminTime.format(start.adding(milliseconds: 60 * Self.minute))
        let tenant = License.defaultTenant
        #expect(Self.rows(reply) == [
            [hour0, "ACME-1", "acme", "1", "0", "0", "0", "0", "0"],
            [hour1, "ACME-1", "acme", "1", "1", "1", "1", "0.5", "0"],
            [hour0, "LIC-1", tenant, "2", "2", "1.5", "2", "1.5", "0"],
            // alice's end at the very start of the hour freed her seat before it.
            [hour1, "LIC-1", tenant, "2", "1", "1", "1", "0.5", "0"],
        ])
        #expect(reply["to"] as? String == AdminTime.format(seats.clock.now()))

        let users = try await reports.report(Self.request(["report": "users", "by": "day", "from": hour0, "license": "LIC-1"]), as: .administrator)
        #expect(Self.rows(users).map { Array($0[3...]) } == [["alice", "1"], ["bob", "1"]])
        let trueup = try await reports.report(Self.request(["report": "trueup", "from": hour0]), as: .administrator)
        #expect(Self.rows(trueup).map { Array($0[..<7]) } == [["ACME-1", "acme", "1", "1", "0", "100", "0.33"], ["LIC-1", tenant, "2", "2", "0", "100", "1.33"]])
    }

    @Test func aTenantsPrincipalSeesOnlyItsOwnLicenses() async throws {
        let (seats, reports, start) = try await Self.fixture()
        defer { seats.remove() }
        let request = try Self.request(["report": "usage", "by": "day", "from": AdminTime.format(start)])
        let reply = try await reports.report(request, as: .anonymous(tenant: "acme"))
        #expect(Set(Self.rows(reply).map { $0[1] }) == ["ACME-1"])
        let asked = try await reports.report(Self.request(["report": "usage", "tenant": License.defaultTenant]), as: .anonymous(tenant: "acme"))
        #expect(Self.rows(asked).isEmpty, "another tenant asked for by name is still not shown")
    }

    @Test func badArgumentsAreRefusedWithTheirReason() async throws {
        let (seats, reports, start) = try await Self.fixture()
        defer { seats.remove() }
        let cases: [([String: String], String)] = [
            (["report": "peaks"], "unknown report \"peaks\"; reports are usage, denials, users, trueup"),
            (["report": "usage", "by": "week"], "\"by\" must be hour, day or month"),
            (["report": "usage", "from": AdminTime.format(start), "to": AdminTime.format(start)], "\"from\" must be before \"to\""),
            (["report": "usage", "by": "hour", "from": "2020-01-01T00:00:00Z"], "a report covers at most 20000 hours; give a shorter range with \"from\" and \"to\""),
        ]
        for (members, message) in cases {
            await #expect(throws: AdminFailure.invalidRequest(message)) { try await reports.report(Self.request(members), as: .administrator) }
        }
    }
}
