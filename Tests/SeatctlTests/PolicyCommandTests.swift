import ArgumentParser
import Foundation
import SeatCore
import SeatProtocol
@testable import seatctl
import Testing

/// `seatctl policy check` (offline) and how seatctl shows a policy refusal.
@Suite struct PolicyCommandTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seatctl-policy-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func check(_ arguments: [String]) throws -> PolicyCheck {
        let parsed = try Seatctl.parseAsRoot(["policy", "check"] + arguments)
        return try #require(parsed as? PolicyCheck)
    }

    @Test func aGoodFilePassesAndAFileWithErrorsExitsTwelve() throws {
        let good = try write("group eng alice\nreserve 1 ACME group eng\n")
        #expect(throws: Never.self) { try check([good]).run() }
        let bad = try write("reserve 1 ACME group nope\n")
        #expect { try check([bad, "--json"]).run() } throws: { ($0 as? ExitCode) == ExitCode(12) }
    }

    @Test func reservationsAreCheckedAgainstALicensesFileWhenGiven() throws {
        let policy = try write("reserve 3 ACME user alice\n")
        let licenses = try write(#"{"licenses": [{"key": "ACME", "seats": 2}]}"#)
        #expect(throws: Never.self) { try check([policy]).run() }
        #expect { try check([policy, "--licenses", licenses]).run() } throws: { ($0 as? ExitCode) == ExitCode(12) }
    }

    @Test func aPolicyRefusalShowsItsReasonAsASentenceWithItsFields() {
        let detail = ErrorDetail.policyDenied(reason: .overMax, limit: 2, seatsTotal: 10, seatsInUse: 7, reservedFreeSeats: 0)
        let fields = Output.fields(of: detail)
        #expect(fields.map(\.0) == ["reason", "policy_reason", "limit", "seats_total", "seats_in_use", "reserved_free_seats"])
        #expect(fields.first?.1.text == "The site policy allows at most 2 seats of this license, and all are in use; release one first.")
        #expect(fields[1].1.text == "overMax")
    }
}
