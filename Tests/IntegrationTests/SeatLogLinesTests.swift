import Foundation
import SeatProtocol
import Testing

/// The log's seat lines (grant, release, denial) from the real daemon, and the switch.
@Suite struct SeatLogLinesTests {
    @Test func grantsReleasesAndDenialsAreLoggedUnlessSwitchedOff() async throws {
        try await withDaemon(licenses: [TestLicense(key: "ONE", seats: 1)], settings: ["log_level": "info"]) { daemon in
            let client = try await daemon.connect()
            let grant = try await client.acquire(licenseKey: "ONE", user: "ana", hostname: "ws-1", hardwareID: "hw-1", clientVersion: "1")
            await #expect(throws: ErrorReply.self) { try await client.acquire(licenseKey: "ONE", user: "ben", hostname: "ws-2", hardwareID: "hw-2", clientVersion: "1") }
            _ = try await client.release(grant.token)
            let granted = try await daemon.waitForLog(containing: "msg=\"seat granted\"")
            #expect(granted.contains("license=ONE") && granted.contains("user=ana") && granted.contains("host=ws-1"))
            let denied = try await daemon.waitForLog(containing: "msg=\"seat denied\"")
            #expect(denied.contains("reason=noSeats") && denied.contains("user=ben"))
            _ = try await daemon.waitForLog(containing: "msg=\"seat released\"")
            await client.close()
        }
        try await withDaemon(licenses: [TestLicense(key: "ONE", seats: 1)], settings: ["log_level": "info", "log_seat_events": "false"]) { daemon in
            let client = try await daemon.connect()
            let grant = try await client.acquire(licenseKey: "ONE", user: "ana", hostname: "ws-1", hardwareID: "hw-1", clientVersion: "1")
            _ = try await client.release(grant.token)
            await client.close()
            // Stopped, the daemon has written every line it will (its output read to the end).
            #expect(await daemon.terminate() == 0)
            #expect(daemon.log.contains("msg=stopped"), "the whole log: \(daemon.log.suffix(300))")
            #expect(!daemon.log.contains("msg=\"seat "), "switched off")
        }
    }
}
