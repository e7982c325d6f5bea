import Foundation
import SeatClient
import SeatProtocol
import Testing

/// The licenses file is re-read on SIGHUP: changes apply, deletions revoke, a broken
/// file changes nothing.
@Suite struct LicenseReloadTests {
    /// Polls until `condition` holds (a reload is asynchronous to the signal).
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func sighupAppliesChangesAndRevokesSessionsOfDeletedLicenses() async throws {
        try await withDaemon(licenses: [TestLicense(key: "KEEP", seats: 2), TestLicense(key: "DROP", seats: 2)]) { daemon in
            let client = try await daemon.connect()
            let kept = try await client.acquire(licenseKey: "KEEP", user: "a", hostname: "h", hardwareID: "a", clientVersion: "1")
            let dropped = try await client.acquire(licenseKey: "DROP", user: "a", hostname: "h", hardwareID: "a", clientVersion: "1")

            try TestLicense.write([TestLicense(key: "KEEP", seats: 5, tier: "gold", state: "suspended"), TestLicense(key: "NEW", seats: 1)], to: daemon.licensesFile)
            daemon.signal(SIGHUP)
            #expect(try await eventually { try await client.validate(licenseKey: "KEEP").seatsTotal == 5 })
            let keep = try await client.validate(licenseKey: "KEEP")
            #expect(keep.status == .suspended)
            #expect(keep.tier == "gold")
            #expect(keep.seatsInUse == 1)
            #expect(try await client.validate(licenseKey: "NEW").status == .valid)

            let gone = await #expect(throws: ErrorReply.self) { try await client.validate(licenseKey: "DROP") }
            #expect(gone?.code == .unknownLicense)
            let revoked = await #expect(throws: ErrorReply.self) { try await client.heartbeat(dropped.token) }
            #expect(revoked?.code == .sessionRevoked)
            // A suspended license refuses heartbeats but the session keeps its seat until its lease ends.
            let suspended = await #expect(throws: ErrorReply.self) { try await client.heartbeat(kept.token) }
            #expect(suspended?.code == .licenseSuspended)
            await client.close()
        }
    }

    @Test func brokenFileOnSighupKeepsTheLicensesInForce() async throws {
        try await withDaemon(licenses: [TestLicense(key: "STAY", seats: 3)]) { daemon in
            try "{ not json".write(toFile: daemon.licensesFile, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            #expect(try await eventually { daemon.log.contains("reload rejected") })
            let client = try await daemon.connect()
            let result = try await client.validate(licenseKey: "STAY")
            #expect(result.status == .valid)
            #expect(result.seatsTotal == 3)
            await client.close()
        }
    }
}
