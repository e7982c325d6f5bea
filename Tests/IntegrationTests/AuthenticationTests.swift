import Foundation
import SeatCore
import SeatProtocol
import Testing

/// Bad keys, revoked keys and the per-address throttle, over the real daemon.
@Suite struct AuthenticationTests {
    static let licenses = [TestLicense(key: "ACME-CAD", seats: 2, tenant: "acme")]

    @Test func badKeysAreRefusedAndTheConnectionClosed() async throws {
        let settings = ["anonymous_tenant": "", "audit_aggregation_window_seconds": "1", "sweep_interval_seconds": "0.2"]
        try await withDaemon(licenses: Self.licenses, settings: settings) { daemon in
            for key in ["not-a-key", "seatd_0123456789abcdef_" + String(repeating: "A", count: 43)] {
                let probe = try await ProtocolProbe.client(daemon)
                #expect(try await probe.request(.authenticate(accessKey: key)).errorCode == .authenticationFailed)
                #expect(await probe.isClosedByServer())
            }
            // Counted in the audit log per address and reason, once the window has ended.
            let admin = try await ProtocolProbe.admin(daemon)
            var events: [[String: Any]] = []
            try await waitUntil("the window's auth_failure events are written") {
                events = try #require(try await admin.admin(["op": "audit", "kinds": ["auth_failure"]])["events"] as? [[String: Any]])
                return events.count == 2
            }
            #expect(events.compactMap { $0["detail"] as? String } == ["malformed key", "unknown key"])
            #expect(events.allSatisfy { $0["address"] as? String == "127.0.0.1" && $0["count"] as? Int == 1 })
            await admin.close()
        }
    }

    @Test func repeatedFailuresThrottleTheAddressButNotAValidKey() async throws {
        try await withDaemon(licenses: Self.licenses, settings: ["anonymous_tenant": "", "auth_failure_limit": "3", "auth_failure_window_seconds": "60"]) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            let valid = try #require(try await admin.admin(["op": "key.create", "tenant": "acme"])["secret"] as? String)
            for _ in 0..<3 {
                let probe = try await ProtocolProbe.client(daemon)
                #expect(try await probe.request(.authenticate(accessKey: "seatd_wrong")).errorCode == .authenticationFailed)
                await probe.close()
            }
            let probe = try await ProtocolProbe.client(daemon)
            let reply = try await probe.request(.authenticate(accessKey: "seatd_wrong"))
            guard case .error(let error) = reply, case .retryAfter(let milliseconds) = error.detail else {
                Issue.record("expected authenticationThrottled with retryAfter, got \(reply)")
                return
            }
            #expect(error.code == .authenticationThrottled)
            #expect((1...60_000).contains(milliseconds))
            #expect(await probe.isClosedByServer())
            // Failures that named no existing key never lock out a valid one from the same address.
            let client = try await ProtocolProbe.client(daemon, accessKey: valid)
            await client.close()
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
