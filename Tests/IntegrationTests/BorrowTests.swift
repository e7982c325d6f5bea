import Foundation
import SeatClient
import SeatCore
import SeatLicensing
import SeatProtocol
import Testing

/// Borrowing with the real daemon over TLS: a borrowed seat's offline lease verifies with
/// the client library while the server is down; after a restart the seat is still
/// counted, admins see it as borrowed, and returning it early frees it.
@Suite struct BorrowTests {
    static let policy = """
        # laptops borrow for a working day at most; kiosks never
        borrow_max_hours 24 LAPTOP
        borrow deny LAPTOP host kiosk
        """

    static func nowTimestamp() -> Timestamp { Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)) }

    func acquire(_ client: SeatConnection, _ user: String) async throws -> AcquireGrant {
        try await client.acquire(licenseKey: "LAPTOP", user: user, hostname: "ws-\(user)", hardwareID: "hw-\(user)", clientVersion: "1")
    }

    @Test func aBorrowedLeaseVerifiesWithTheServerDownAndReturningItFreesTheSeat() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let policyFile = stateDirectory + "/site.policy"
        try Self.policy.write(toFile: policyFile, atomically: true, encoding: .utf8)
        let settings = DaemonProcess.durable.merging(["policy_file": policyFile]) { $1 }
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: "LAPTOP", seats: 2)], stateDirectory: stateDirectory, settings: settings)
        let leaseFile = stateDirectory + "/ana.lease"
        let publicKeyFile = stateDirectory + "/borrow-key.pub"
        let borrowedAt = Self.nowTimestamp()

        // The key was generated on first start, private to the server.
        let keyAttributes = try FileManager.default.attributesOfItem(atPath: stateDirectory + "/borrow-signing-key.pem")
        #expect((keyAttributes[.posixPermissions] as? Int) == 0o600)
        let admin = ["--admin-socket", try await first.adminSocket()]
        let publicKey = try await SeatctlProcess.run(["borrow", "public-key"] + admin, daemon: first)
        #expect(publicKey.status == 0, "\(publicKey.stderr)")
        try publicKey.stdout.write(toFile: publicKeyFile, atomically: true, encoding: .utf8)
        let trusted = try BorrowPublicKey.read(from: publicKeyFile)

        // Asked for 48 hours; the policy caps it at 24.
        let borrow = try await SeatctlProcess.run(
            ["borrow", "acquire", "--license", "LAPTOP", "--user", "ana", "--hostname", "laptop-ana", "--hardware-id", "hw-ana",
             "--hours", "48", "--lease-file", leaseFile, "--json"], daemon: first)
        #expect(borrow.status == 0, "\(borrow.stderr)")
        let leaseAttributes = try FileManager.default.attributesOfItem(atPath: leaseFile)
        #expect((leaseAttributes[.posixPermissions] as? Int) == 0o600)

        // A kiosk may not borrow; it is told why.
        let client = try await first.connect()
        let kiosk = await #expect(throws: ErrorReply.self) {
            try await client.borrow(licenseKey: "LAPTOP", user: "ben", hostname: "kiosk", hardwareID: "hw-kiosk", clientVersion: "1", minutes: 60)
        }
        #expect(kiosk?.detail == .policyDenied(reason: .borrowNotAllowed, limit: 0, seatsTotal: 2, seatsInUse: 1, reservedFreeSeats: 0))
        await client.close()
        await first.kill()

        // The server is gone: the lease still verifies offline, for this machine only.
        let seat = try BorrowedSeat.read(from: leaseFile)
        let offline = Self.nowTimestamp()
        guard case .valid(let lease) = seat.verify(trusting: trusted, now: offline, hardwareID: "hw-ana") else {
            Issue.record("the lease does not verify offline: \(seat.verify(trusting: trusted, now: offline, hardwareID: "hw-ana"))")
            return
        }
        #expect(lease.user == "ana" && lease.licenseKey == "LAPTOP" && lease.tenant == "default")
        let day: Int64 = 24 * 3_600_000
        #expect(lease.expiresAt >= borrowedAt.adding(milliseconds: day) && lease.expiresAt <= offline.adding(milliseconds: day))
        #expect(seat.verify(trusting: trusted, now: offline, hardwareID: "hw-other") == .wrongMachine(lease))
        #expect(seat.verify(trusting: trusted, now: lease.expiresAt, hardwareID: "hw-ana") == .expired(lease))
        let shown = try await SeatctlProcess.run(["borrow", "show-lease", leaseFile, "--public-key-file", publicKeyFile, "--hardware-id", "hw-ana"], daemon: first)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("verdict      valid"))
        let elsewhere = try await SeatctlProcess.run(["borrow", "show-lease", leaseFile, "--public-key-file", publicKeyFile, "--hardware-id", "hw-other"], daemon: first)
        #expect(elsewhere.status == 20)

        let second = try await DaemonProcess.start(stateDirectory: stateDirectory, settings: settings)
        try await second.use { second in
            let client = try await second.connect()
            // Still counted after the restart: one seat left, not two.
            #expect(try await client.validate(licenseKey: "LAPTOP").seatsInUse == 1)
            _ = try await acquire(client, "carl")
            let full = await #expect(throws: ErrorReply.self) { try await acquire(client, "dora") }
            #expect(full?.code == .noSeats)

            let admin = ["--admin-socket", try await second.adminSocket()]
            let sessions = try await SeatctlProcess.run(["sessions", "--user", "ana", "--json"] + admin, daemon: second)
            let listed = try #require((try AdminSeatctlTests.jsonObject(sessions.stdout)["sessions"] as? [[String: Any]])?.first)
            #expect(listed["borrow_lease"] as? String == BorrowLease.idText(lease.leaseID))
            let table = try await SeatctlProcess.run(["sessions", "--license", "LAPTOP"] + admin, daemon: second)
            #expect(AdminSeatctlTests.row(table.stdout, startingWith: listed["id"] as! String)?.suffix(2) == ["lease", BorrowLease.idText(lease.leaseID)])
            let status = try await SeatctlProcess.run(["status", "--json"] + admin, daemon: second)
            let license = try #require((try AdminSeatctlTests.jsonObject(status.stdout)["licenses"] as? [[String: Any]])?.first)
            #expect(license["borrowed"] as? Int == 1)
            // The policy in force shows the borrow rules, a limit holding the borrowed seat.
            let policy = try await SeatctlProcess.run(["policy", "show", "--json"] + admin, daemon: second)
            let rules = try #require((try AdminSeatctlTests.jsonObject(policy.stdout)["licenses"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]])
            #expect(rules.map { $0["effect"] as? String } == ["borrow_max_hours", "borrow deny"])
            #expect(rules.first?["count"] as? Int == 24 && rules.first?["holding"] as? Int == 1)

            // Returned early, from the file: the seat frees at once.
            let returned = try await SeatctlProcess.run(["borrow", "return", leaseFile], daemon: second)
            #expect(returned.status == 0, "\(returned.stderr)")
            #expect(!FileManager.default.fileExists(atPath: leaseFile))
            #expect(try await client.validate(licenseKey: "LAPTOP").seatsInUse == 1)
            _ = try await acquire(client, "dora")
            // The audit names the borrow and its return.
            let audit = try await SeatctlProcess.run(["audit", "--json"] + admin, daemon: second)
            #expect(audit.stdout.components(separatedBy: "borrow_lease=\(BorrowLease.idText(lease.leaseID))").count - 1 == 2)
            await client.close()
        }
    }
}
