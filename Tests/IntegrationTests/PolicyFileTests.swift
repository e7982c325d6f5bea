import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// The site policy file with the real daemon over TLS: reserve, max and exclude refusals
/// with their reasons on the wire, in seatctl and in the audit; a SIGHUP reload that
/// changes the policy, one that keeps it because the new file is bad, and a start refused
/// for a bad file.
@Suite struct PolicyFileTests {
    static let policy = """
        # engineering keeps one seat; carol may hold one; mallory none
        group eng alice bob
        reserve 1 POL group eng
        max 1 POL user carol
        exclude POL user mallory
        """

    func acquire(_ client: SeatConnection, _ user: String, hardware: String? = nil) async throws -> AcquireGrant {
        try await client.acquire(licenseKey: "POL", user: user, hostname: "ws-\(user)", hardwareID: hardware ?? "hw-\(user)", clientVersion: "1")
    }

    /// The refusal an acquire gets; fails the test if it is granted.
    func refusal(_ client: SeatConnection, _ user: String, hardware: String? = nil) async throws -> ErrorReply {
        do {
            let grant = try await acquire(client, user, hardware: hardware)
            Issue.record("\(user) was granted \(grant.token)")
            throw CancellationError()
        } catch let reply as ErrorReply {
            return reply
        }
    }

    func denied(_ reason: PolicyDenialReason, limit: UInt32 = 0, inUse: UInt32, reserved: UInt32 = 0) -> ErrorDetail {
        .policyDenied(reason: reason, limit: limit, seatsTotal: 3, seatsInUse: inUse, reservedFreeSeats: reserved)
    }

    @Test func refusalsSayWhyAndAReloadChangesThePolicy() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let policyFile = stateDirectory + "/site.policy"
        try Self.policy.write(toFile: policyFile, atomically: true, encoding: .utf8)
        let daemon = try await DaemonProcess.start(
            licenses: [TestLicense(key: "POL", seats: 3)], stateDirectory: stateDirectory,
            settings: ["policy_file": policyFile, "audit_aggregation_window_seconds": "1", "sweep_interval_seconds": "0.5"])
        try await daemon.use { daemon in
            try await daemon.waitForLog(containing: "msg=\"policy file loaded\"")
            let client = try await daemon.connect()

            let excluded = try await refusal(client, "mallory")
            #expect(excluded.code == .policyDenied)
            #expect(excluded.detail == denied(.excluded, inUse: 0))
            #expect(excluded.message == "the site policy excludes user mallory from this license")

            _ = try await acquire(client, "carol")
            let overMax = try await refusal(client, "carol", hardware: "hw-carol-2")
            #expect(overMax.detail == denied(.overMax, limit: 1, inUse: 1))
            #expect(overMax.message == "the site policy allows user carol at most 1 seat of this license, all in use")

            _ = try await acquire(client, "dave")
            // One seat is free, and it is eng's.
            let reserved = try await refusal(client, "erin")
            #expect(reserved.detail == denied(.reservedForOthers, inUse: 2, reserved: 1))
            // Re-attaching is not a new grant: dave keeps his seat.
            #expect(try await acquire(client, "dave").reattached)
            _ = try await acquire(client, "alice")
            let full = try await refusal(client, "bob")
            #expect(full.code == .noSeats)

            // seatctl tells the user why, as a sentence, and exits 12.
            let seatctl = try await SeatctlProcess.run(["acquire", "--license", "POL", "--user", "mallory", "--hostname", "ws", "--hardware-id", "hw-m2"], daemon: daemon)
            #expect(seatctl.status == 12)
            #expect(seatctl.stderr.contains("(policyDenied)"), "\(seatctl.stderr)")
            #expect(seatctl.stderr.contains("reason: The site policy excludes this user or host from the license."), "\(seatctl.stderr)")

            // The audit tells a shortage from each kind of policy refusal.
            var refusals: [String: Int] = [:]
            try await waitUntil("the refusals' audit window is written") {
                refusals = [:]
                for event in try await AuditFloodTests.seatctlEvents(kind: "refusal", daemon) {
                    refusals[event["detail"] as? String ?? "", default: 0] += event["count"] as? Int ?? 0
                }
                return refusals.values.reduce(0, +) >= 5
            }
            #expect(refusals == ["policyDenied:excluded": 2, "policyDenied:overMax": 1, "policyDenied:reservedForOthers": 1, "noSeats": 1])

            // The admin sees the policy in force and what each rule's principal holds.
            let show = try await SeatctlProcess.run(["policy", "show", "--json", "--admin-socket", try await daemon.adminSocket()], daemon: daemon)
            #expect(show.status == 0, "\(show.stderr)")
            let view = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
            #expect(view["policy_file"] as? String == policyFile)
            let license = try #require((view["licenses"] as? [[String: Any]])?.first)
            #expect(license["license"] as? String == "POL" && license["in_use"] as? Int == 3)
            let rules = try #require(license["rules"] as? [[String: Any]])
            #expect(rules.map { $0["line"] as? Int } == [3, 4, 5])
            #expect(rules.map { $0["holding"] as? Int } == [1, 1, 0])
            #expect(rules.map { $0["count"] as? Int } == [1, 1, nil])
            let table = try await SeatctlProcess.run(["policy", "show", "--admin-socket", try await daemon.adminSocket()], daemon: daemon)
            #expect(table.stdout.contains("RULE"), "\(table.stdout)")
            #expect(table.stdout.contains("reserve 1 POL group eng"), "\(table.stdout)")

            // A reload puts a new policy in force for new grants; sessions keep their seats.
            try "exclude POL user dave\n".write(toFile: policyFile, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            try await daemon.waitForLog(containing: "msg=\"configuration reloaded\"")
            #expect(try await refusal(client, "dave", hardware: "hw-dave-2").detail == denied(.excluded, inUse: 3))
            #expect(try await acquire(client, "dave").reattached)

            // A policy file with an error is refused as a whole; the policy in force stays.
            try "exclude POL group nobody\n".write(toFile: policyFile, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            let rejected = try await daemon.waitForLog(containing: "msg=\"reload rejected: policy file invalid")
            #expect(rejected.contains("site.policy:1: exclude POL group nobody: no group nobody is defined"), "\(rejected)")
            #expect(try await refusal(client, "dave", hardware: "hw-dave-3").detail == denied(.excluded, inUse: 3))
            await client.close()
        }
    }

    @Test func aBadPolicyFileIsRefusedAtStartNamingFileLineAndRule() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let policyFile = stateDirectory + "/site.policy"
        try "reserve 4 POL user alice\n".write(toFile: policyFile, atomically: true, encoding: .utf8)
        try TestLicense.write([TestLicense(key: "POL", seats: 3)], to: stateDirectory + "/licenses.json")
        let result = try await ChildCommand.run(DaemonProcess.binary, [
            "-o", "state_directory=\(stateDirectory)", "-o", "licenses_file=\(stateDirectory)/licenses.json", "-o", "development_mode=true",
            "-o", "listen_address=127.0.0.1", "-o", "port=0", "-o", "metrics_port=0", "-o", "dashboard_port=0", "-o", "policy_file=\(policyFile)",
        ], timeout: .seconds(60))
        #expect(result.status != 0)
        #expect(result.output.contains("\(policyFile):1: reserve 4 POL user alice: reservations for license POL add up to 4, more than its 3 seats"), "\(result.output)")
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }
}
