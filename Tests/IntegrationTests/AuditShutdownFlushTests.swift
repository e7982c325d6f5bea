import Foundation
import SeatCore
import SeatProtocol
import Testing

/// Counts of a window still open when seatd stops are written at shutdown, not lost.
@Suite struct AuditShutdownFlushTests {
    @Test func sigtermWritesTheOpenWindowsCounts() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        // A window far longer than the test: only the shutdown can write it.
        let settings = ["audit_aggregation_window_seconds": "3600"]
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: "T", seats: 1)], stateDirectory: stateDirectory, settings: settings)
        let probe = try await ProtocolProbe.client(first)
        for _ in 0..<25 { #expect(try await probe.acquire("NOPE").errorCode == .unknownLicense) }
        await probe.close()
        #expect(await first.terminate() == 0)
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: settings).use { second in
            let admin = try await ProtocolProbe.admin(second)
            let events = try #require(try await admin.admin(["op": "audit", "kinds": ["refusal"]])["events"] as? [[String: Any]])
            #expect(events.count == 1)
            #expect(events.first?["license"] as? String == "NOPE")
            #expect(events.first?["count"] as? Int == 25)
            await admin.close()
        }
    }
}
