import Foundation
import SeatCore
import SeatLicensing
import SeatProtocol
import Testing

/// A vendor-signed overage over TLS with the real daemon: grants past `seats` are flagged
/// on the wire, in the audit, in `seatctl status` and in the metrics, and capped at the
/// allowance; a protocol version 1 client is served as before.
@Suite struct OverageTests {
    let vendor = VendorSigningKey.generate()

    /// 2 seats and 1 overage seat, signed; seatd in production mode.
    func withOverageDaemon(_ body: (DaemonProcess) async throws -> Void) async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        let entry = LicenseEntry(key: "CAD-2", tenant: "acme", seats: 2, overage: .seats(1))
        try LicenseDocument.encode(try LicenseSigner(key: vendor).sign([entry], now: now))
            .write(to: URL(fileURLWithPath: stateDirectory + "/licenses.json"))
        let settings = ["development_mode": "false", "vendor_public_keys": vendor.publicKey.base64, "anonymous_tenant": "acme"]
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: settings).use(body)
    }

    @Test func grantsPastSeatsAreFlaggedAndCapped() async throws {
        try await withOverageDaemon { daemon in
            let client = try await ProtocolProbe.client(daemon)
            var grants: [AcquireGrant] = []
            for user in ["ana", "bo", "cy"] {
                grants.append(try #require(try await client.acquire("CAD-2", user: user).grant))
            }
            #expect(grants.map(\.overage) == [
                GrantOverage(overageSeats: 1, isOverage: false), GrantOverage(overageSeats: 1, isOverage: false),
                GrantOverage(overageSeats: 1, isOverage: true),
            ])
            #expect(grants.map(\.seatsInUse) == [1, 2, 3] && grants.allSatisfy { $0.seatsTotal == 2 })
            // The allowance is used up: only now is a request refused.
            guard case .error(let refusal) = try await client.acquire("CAD-2", user: "dee") else {
                Issue.record("a grant past seats + allowance")
                return
            }
            #expect(refusal.code == .noSeats)
            if case .noSeats(let total, let inUse, _) = refusal.detail { #expect(total == 2 && inUse == 3) }
            // A re-acquire of the overage session is still flagged.
            #expect(try await client.acquire("CAD-2", user: "cy").grant?.overage?.isOverage == true)
            guard case .validated(let validated) = try await client.request(.validate(licenseKey: "CAD-2")) else {
                Issue.record("validate failed")
                return
            }
            #expect(validated.seatsInUse == 3 && validated.overageSeats == 1)

            let admin = try await ProtocolProbe.admin(daemon)
            let status = try #require(try await admin.admin(["op": "status"])["licenses"] as? [[String: Any]]).first
            #expect(status?["in_use"] as? Int == 3)
            #expect(status?["overage"] as? String == "+1")
            #expect(status?["overage_in_use"] as? Int == 1)
            let events = try #require(try await admin.admin(["op": "audit", "kinds": ["grant"]])["events"] as? [[String: Any]])
            let flagged = events.filter { ($0["detail"] as? String)?.hasSuffix(" overage") == true }.compactMap { $0["user"] as? String }
            #expect(flagged == ["cy"], "\(events)")

            let table = try await SeatctlProcess.run(["status", "--admin-socket", try await daemon.adminSocket()], daemon: daemon)
            #expect(table.status == 0 && table.stdout.contains("3/2 (+1 overage)"), "\(table.stdout)\(table.stderr)")
            // seatctl shows the flag and the allowance (a re-acquire of cy's seat, and a validate).
            let acquire = try await SeatctlProcess.run(
                ["acquire", "--license", "CAD-2", "--user", "cy", "--hostname", "ws-1", "--hardware-id", "hw-cy", "--json"], daemon: daemon)
            let acquired = try JSONSerialization.jsonObject(with: Data(acquire.stdout.utf8)) as? [String: Any]
            #expect(acquired?["overage"] as? Bool == true && acquired?["reattached"] as? Bool == true, "\(acquire.stdout)\(acquire.stderr)")
            #expect(acquired?["overage_seats"] as? Int == 1 && acquired?["seats_in_use"] as? Int == 3)
            let validate = try await SeatctlProcess.run(["validate", "--license", "CAD-2", "--json"], daemon: daemon)
            let printed = try JSONSerialization.jsonObject(with: Data(validate.stdout.utf8)) as? [String: Any]
            #expect(printed?["overage_seats"] as? Int == 1, "\(validate.stdout)\(validate.stderr)")
            let metrics = PrometheusSamples(try await HTTPProbe.get(port: try await daemon.metricsPort(), path: "/metrics").body)
            #expect(metrics["seatd_seats_overage_in_use{license=\"CAD-2\",tenant=\"acme\"}"] == 1)
            #expect(metrics["seatd_seats_in_use{license=\"CAD-2\",tenant=\"acme\"}"] == 3)
            await admin.close()
            await client.close()
        }
    }

    @Test func aVersionOneClientSeesNoOverageFieldsAndAtMostSeatsInUse() async throws {
        try await withOverageDaemon { daemon in
            let current = try await ProtocolProbe.client(daemon)
            _ = try #require(try await current.acquire("CAD-2", user: "ana").grant)
            _ = try #require(try await current.acquire("CAD-2", user: "bo").grant)
            let old = try await ProtocolProbe.client(daemon, hello: Hello(minimumVersion: 1, maximumVersion: 1, clientName: "v1"))
            let grant = try #require(try await old.acquire("CAD-2", user: "cy").grant)
            #expect(grant.overage == nil)
            #expect(grant.seatsInUse == 2 && grant.seatsTotal == 2)
            guard case .validated(let validated) = try await old.request(.validate(licenseKey: "CAD-2")) else {
                Issue.record("validate failed")
                return
            }
            #expect(validated.overageSeats == nil && validated.seatsInUse == 2)
            await old.close()
            await current.close()
        }
    }
}
