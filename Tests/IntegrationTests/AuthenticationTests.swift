import Foundation
import SeatCore
import SeatProtocol
import Testing

/// Bad keys, revoked keys and the per-address throttle, over the real daemon.
@Suite struct AuthenticationTests {
    static let licenses = [TestLicense(key: "ACME-CAD", seats: 2, tenant: "acme")]

    @Test func badKeysAreRefusedAndTheConnectionClosed() async throws {
        try await withDaemon(licenses: Self.licenses, settings: ["anonymous_tenant": ""]) { daemon in
            for key in ["not-a-key", "seatd_0123456789abcdef_" + String(repeating: "A", count: 43)] {
                let probe = try await ProtocolProbe.client(daemon)
                #expect(try await probe.request(.authenticate(accessKey: key)).errorCode == .authenticationFailed)
                #expect(await probe.isClosedByServer())
            }
            // Logged in the audit log, with the address.
            let admin = try await ProtocolProbe.admin(daemon)
            let audit = try await admin.admin(["op": "audit", "kinds": ["auth_failure"]])
            let events = try #require(audit["events"] as? [[String: Any]])
            #expect(events.count == 2)
            #expect(events.allSatisfy { $0["address"] as? String == "127.0.0.1" })
            await admin.close()
        }
    }

    @Test func repeatedFailuresThrottleTheAddressEvenForAValidKey() async throws {
        try await withDaemon(licenses: Self.licenses, settings: ["anonymous_tenant": "", "auth_failure_limit": "3", "auth_failure_window_seconds": "60"]) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            let valid = try #require(try await admin.admin(["op": "key.create", "tenant": "acme"])["secret"] as? String)
            for _ in 0..<3 {
                let probe = try await ProtocolProbe.client(daemon)
                #expect(try await probe.request(.authenticate(accessKey: "seatd_wrong")).errorCode == .authenticationFailed)
                await probe.close()
            }
            let probe = try await ProtocolProbe.client(daemon)
            let reply = try await probe.request(.authenticate(accessKey: valid))
            guard case .error(let error) = reply, case .retryAfter(let milliseconds) = error.detail else {
                Issue.record("expected authenticationThrottled with retryAfter, got \(reply)")
                return
            }
            #expect(error.code == .authenticationThrottled)
            #expect((1...60_000).contains(milliseconds))
            #expect(await probe.isClosedByServer())
            // The admin socket is not subject to the client port's throttle.
            #expect(try await admin.admin(["op": "status"])["licenses"] != nil)
            await admin.close()
        }
    }

    @Test func revokingAKeyClosesItsConnectionsAndRefusesItAfterwards() async throws {
        try await withDaemon(licenses: Self.licenses, settings: ["anonymous_tenant": ""]) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            let created = try await admin.admin(["op": "key.create", "tenant": "acme", "label": "ws"])
            let secret = try #require(created["secret"] as? String)
            let id = try #require((created["key"] as? [String: Any])?["id"] as? String)
            #expect(secret.hasPrefix("seatd_\(id)_"))

            let client = try await ProtocolProbe.client(daemon, accessKey: secret)
            #expect(try await client.acquire("ACME-CAD").grant != nil)
            let revoked = try await admin.admin(["op": "key.revoke", "id": id])
            #expect((revoked["key"] as? [String: Any])?["revoked"] != nil)
            #expect(await client.isClosedByServer())

            let again = try await ProtocolProbe.client(daemon)
            #expect(try await again.request(.authenticate(accessKey: secret)).errorCode == .authenticationFailed)
            // Keys are listed without their secrets.
            let listed = try await admin.admin(["op": "key.list", "tenant": "acme"])
            let text = String(decoding: try JSONSerialization.data(withJSONObject: listed), as: UTF8.self)
            #expect(!text.contains(String(secret.suffix(43))))
            await admin.close()
        }
    }
}
