import Foundation
import SeatClient
import SeatProtocol
import Testing

/// Access keys from the client's side: seatctl creates and revokes them, SeatLease and
/// seatctl present them, and an admin key administers over TLS.
@Suite struct AccessKeyClientTests {
    static let licenses = [TestLicense(key: "ACME-CAD", seats: 2, tenant: "acme")]
    /// No anonymous tenant: every seat request needs a key.
    static let keysRequired = ["anonymous_tenant": ""]

    static func createKey(_ daemon: DaemonProcess, _ arguments: [String]) async throws -> (id: String, secret: String) {
        let created = try await SeatctlProcess.run(["key", "create", "--json", "--admin-socket", try await daemon.adminSocket()] + arguments, daemon: daemon)
        #expect(created.status == 0, "\(created.stderr)")
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        let key = try #require(reply["key"] as? [String: Any])
        return (try #require(key["id"] as? String), try #require(reply["secret"] as? String))
    }

    static func configuration(_ daemon: DaemonProcess, accessKey: String?) -> SeatClientConfiguration {
        var configuration = ShortLeases.configuration(port: daemon.port, daemon: daemon)
        configuration.accessKey = accessKey
        return configuration
    }

    @Test func aCreatedKeyActsForItsTenantAndARevokedKeyIsRefused() async throws {
        // Heartbeats 30 s apart: the lease must notice its connection closing at once, not
        // at its next heartbeat.
        let settings = Self.keysRequired.merging(["lease_seconds": "180", "heartbeat_interval_seconds": "60"]) { $1 }
        try await withDaemon(licenses: Self.licenses, settings: settings) { daemon in
            let request = SeatRequest(licenseKey: "ACME-CAD", user: "ana", hardwareID: "ws-1")
            let anonymous = await #expect(throws: ErrorReply.self) { try await SeatLease.acquire(request, configuration: Self.configuration(daemon, accessKey: nil)) }
            #expect(anonymous?.code == .authenticationRequired)

            let key = try await Self.createKey(daemon, ["--tenant", "acme", "--label", "cad"])
            let connection = try await SeatConnection.connect(Self.configuration(daemon, accessKey: key.secret))
            #expect(connection.authenticated == Authenticated(tenant: "acme", role: .client))
            await connection.close()

            let lease = try await SeatLease.acquire(request, configuration: Self.configuration(daemon, accessKey: key.secret), options: ShortLeases.options)
            let recorder = StateRecorder(lease)
            let viaSeatctl = try await SeatctlProcess.run(["acquire", "--license", "ACME-CAD", "--user", "ben", "--access-key", key.secret], daemon: daemon)
            #expect(viaSeatctl.status == 0, "\(viaSeatctl.stderr)")

            // Revoking the key closes the lease's connection; reconnecting is refused for good.
            let revoke = try await SeatctlProcess.run(["key", "revoke", key.id, "--admin-socket", try await daemon.adminSocket()], daemon: daemon)
            #expect(revoke.status == 0, "\(revoke.stderr)")
            let revokedAt = ContinuousClock.now
            let lost = try await recorder.waitFor("the lease to end") { $0.isFinal }
            #expect(ContinuousClock.now - revokedAt < .seconds(15), "noticed at once, not at the heartbeat 60 s later")
            guard case .lost(let loss) = lost else {
                Issue.record("not lost: \(lost)")
                return
            }
            #expect(loss.reason == .notAuthenticated)
            #expect(loss.reply.code == .authenticationFailed)

            let refused = await #expect(throws: ErrorReply.self) { try await SeatLease.acquire(request, configuration: Self.configuration(daemon, accessKey: key.secret)) }
            #expect(refused?.code == .authenticationFailed)
            let refusedSeatctl = try await SeatctlProcess.run(["acquire", "--license", "ACME-CAD", "--access-key", key.secret], daemon: daemon)
            #expect(refusedSeatctl.status == 9)
            #expect(refusedSeatctl.stderr.contains("authenticationFailed"))
        }
    }

    @Test func anAdminKeyAdministersOverTLSAndAClientKeyCannot() async throws {
        try await withDaemon(licenses: Self.licenses, settings: Self.keysRequired) { daemon in
            let adminKey = try await Self.createKey(daemon, ["--role", "admin", "--label", "ops"])
            let clientKey = try await Self.createKey(daemon, ["--tenant", "acme"])
            let server = ["--server", "127.0.0.1:\(daemon.port)", "--ca", daemon.caFile]

            let status = try await SeatctlProcess.run(["status", "--access-key", adminKey.secret] + server, daemon: daemon)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("ACME-CAD"))
            let keys = try await SeatctlProcess.run(["key", "list", "--tenant", "acme", "--access-key", adminKey.secret] + server, daemon: daemon)
            #expect(keys.stdout.contains(clientKey.id))
            #expect(!keys.stdout.contains(clientKey.secret))

            let notAdmin = try await SeatctlProcess.run(["status", "--access-key", clientKey.secret] + server, daemon: daemon)
            #expect(notAdmin.status == 9)
            #expect(notAdmin.stderr.contains("notAuthorized"))

            let client = try await SeatAdminClient.connect(Self.configuration(daemon, accessKey: adminKey.secret))
            #expect(client.authenticated?.role == .admin)
            let tenants = try await client.perform(AdminListTenants()).reply.tenants
            // The admin key belongs to no tenant.
            #expect(tenants.first { $0.id == "acme" }?.keys == 1)
            await client.close()
        }
    }
}
