import Foundation
import SeatCore
import SeatLicensing
import SeatProtocol
import Testing

/// A vendor-signed per-user seat counting over TLS with the real daemon: one user on two
/// hosts holds one seat, the admin sees both hosts on it, and it frees with the last one.
@Suite struct SeatCountingTests {
    let vendor = VendorSigningKey.generate()

    @Test func oneUserOnTwoHostsHoldsOneSeat() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        let entry = LicenseEntry(key: "CAD-USER", tenant: "acme", seats: 1, seatCounting: .user)
        try LicenseDocument.encode(try LicenseSigner(key: vendor).sign([entry], now: now))
            .write(to: URL(fileURLWithPath: stateDirectory + "/licenses.json"))
        let settings = ["development_mode": "false", "vendor_public_keys": vendor.publicKey.base64, "anonymous_tenant": "acme"]
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: settings).use { daemon in
            let client = try await ProtocolProbe.client(daemon)
            let laptop = try #require(try await client.acquire("CAD-USER", user: "ana", host: "laptop", hardwareID: "hw-laptop").grant)
            let desktop = try #require(try await client.acquire("CAD-USER", user: "ana", host: "desktop", hardwareID: "hw-desktop").grant)
            #expect(laptop.token != desktop.token && !desktop.reattached)
            #expect(laptop.seatsInUse == 1 && desktop.seatsInUse == 1)
            #expect(try await client.acquire("CAD-USER", user: "bo", host: "ws", hardwareID: "hw-ws").errorCode == .noSeats)

            let admin = try await ProtocolProbe.admin(daemon)
            let sessions = try #require(try await admin.admin(["op": "sessions"])["sessions"] as? [[String: Any]])
            #expect(Set(sessions.compactMap { $0["host"] as? String }) == ["laptop", "desktop"])
            #expect(sessions.allSatisfy { $0["seat"] as? String == "ana" })
            let status = try #require(try await admin.admin(["op": "status"])["licenses"] as? [[String: Any]]).first
            #expect(status?["in_use"] as? Int == 1 && status?["seat_counting"] as? String == "user")
            let table = try await SeatctlProcess.run(["sessions", "--admin-socket", try await daemon.adminSocket()], daemon: daemon)
            #expect(table.stdout.contains("laptop") && table.stdout.contains("desktop"), "\(table.stdout)\(table.stderr)")

            // One of ana's sessions ends: the seat stays hers. The last one ends: it frees.
            guard case .released(let first) = try await client.request(.release(laptop.token)) else { throw ProbeError("release failed") }
            #expect(first.ended && first.seatsInUse == 1)
            #expect(try await client.acquire("CAD-USER", user: "bo", host: "ws", hardwareID: "hw-ws").errorCode == .noSeats)
            guard case .released(let last) = try await client.request(.release(desktop.token)) else { throw ProbeError("release failed") }
            #expect(last.ended && last.seatsInUse == 0)
            #expect(try await client.acquire("CAD-USER", user: "bo", host: "ws", hardwareID: "hw-ws").grant != nil)
            await admin.close()
            await client.close()
        }
    }
}
