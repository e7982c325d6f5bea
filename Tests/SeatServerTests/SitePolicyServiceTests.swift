import Foundation
import SeatCore
import SeatProtocol
@testable import SeatServer
import Testing

/// The policy file as the daemon reads it, applies it to seat requests, and answers its
/// refusals on the wire.
@Suite struct SitePolicyServiceTests {
    func writePolicy(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-policy-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theServiceJudgesAcquiresByThePolicyInForceAndAReloadReplacesIt() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 3)])
        defer { seats.remove() }
        let licenses = [testLicense(seats: 3)]
        seats.service.update(sitePolicy: try PolicyFile.load(path: try writePolicy("exclude LIC-1 user mallory\nreserve 2 LIC-1 user alice"), licenses: licenses))
        #expect(await seats.acquire("mallory") == .failure(.policy(.excluded(.user("mallory")), seatsTotal: 3, seatsInUse: 0)))
        #expect(try await seats.acquire("bob").get().reattached == false)
        #expect(await seats.acquire("carol", hardware: "hw-c") == .failure(.policy(.reservedForOthers(reservedFreeSeats: 2), seatsTotal: 3, seatsInUse: 1)))
        seats.service.update(sitePolicy: .none)
        #expect(try await seats.acquire("mallory", hardware: "hw-m").get().reattached == false)
    }

    @Test func aPolicyFileIsReadWholeOrRefusedWithEveryError() throws {
        #expect(try PolicyFile.load(path: "", licenses: []) == .none)
        #expect(throws: PolicyFileErrors([PolicyFileError(file: "/nonexistent/site.policy", line: 0, rule: "", message: "cannot read the policy file")])) {
            try PolicyFile.load(path: "/nonexistent/site.policy", licenses: [])
        }
        #expect(PolicyFileError(file: "/nonexistent/site.policy", line: 0, rule: "", message: "cannot read the policy file").description
            == "/nonexistent/site.policy: cannot read the policy file")
        let broken = try writePolicy("max 1 LIC-1 group ghosts\n")
        #expect(throws: PolicyFileErrors([PolicyFileError(file: broken, line: 1, rule: "max 1 LIC-1 group ghosts", message: "no group ghosts is defined")])) {
            try PolicyFile.load(path: broken, licenses: [])
        }
        let tooMany = try writePolicy("reserve 4 LIC-1 user alice\n")
        #expect(try PolicyFile.load(path: tooMany, licenses: [testLicense(seats: 4)]).rules.count == 1)
        #expect(throws: PolicyFileErrors([PolicyFileError(file: tooMany, line: 1, rule: "reserve 4 LIC-1 user alice",
                                                          message: "reservations for license LIC-1 add up to 4, more than its 3 seats")])) {
            try PolicyFile.load(path: tooMany, licenses: [testLicense(seats: 3)])
        }
    }

    @Test func policyFileIsAReloadableConfigurationKey() throws {
        #expect(try ConfigurationLoader.load(file: nil, overrides: []).policyFile == "")
        #expect(try ConfigurationLoader.load(file: nil, overrides: ["policy_file=/etc/seatd/site.policy"]).policyFile == "/etc/seatd/site.policy")
        #expect(!ConfigurationLoader.restartOnlyKeys.contains("policy_file"))
    }

    @Test(arguments: [
        (PolicyRefusal.excluded(.user("bob")), ErrorDetail.policyDenied(reason: .excluded, limit: 0, seatsTotal: 5, seatsInUse: 1, reservedFreeSeats: 0),
         "the site policy excludes user bob from this license"),
        (.notIncluded, .policyDenied(reason: .notIncluded, limit: 0, seatsTotal: 5, seatsInUse: 1, reservedFreeSeats: 0),
         "the site policy limits this license to listed users and hosts"),
        (.overMax(limit: 2, principal: .group("eng", members: ["a"])), .policyDenied(reason: .overMax, limit: 2, seatsTotal: 5, seatsInUse: 1, reservedFreeSeats: 0),
         "the site policy allows group eng at most 2 seats of this license, all in use"),
        (.reservedForOthers(reservedFreeSeats: 4), .policyDenied(reason: .reservedForOthers, limit: 0, seatsTotal: 5, seatsInUse: 1, reservedFreeSeats: 4),
         "the 4 free seats are reserved by the site policy for others"),
    ])
    func aPolicyRefusalIsPolicyDeniedWithItsReason(refusal: PolicyRefusal, detail: ErrorDetail, message: String) {
        #expect(ErrorReply(.policy(refusal, seatsTotal: 5, seatsInUse: 1)) == ErrorReply(code: .policyDenied, message: message, detail: detail))
    }
}
