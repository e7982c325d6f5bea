import Foundation
import SeatCore
import SeatProtocol
import Testing

/// Tenants over the real daemon: every seat request of one tenant's client about another
/// tenant's license or session is answered as if it did not exist.
@Suite struct TenantIsolationTests {
    static let licenses = [
        TestLicense(key: "ACME-CAD", seats: 2, tenant: "acme"),
        TestLicense(key: "GLOBEX-CAD", seats: 2, tenant: "globex"),
    ]
    /// Authentication required, as in production.
    static let settings = ["anonymous_tenant": ""]

    static func createKey(_ admin: ProtocolProbe, tenant: String?, role: String = "client") async throws -> String {
        var request: [String: Any] = ["op": "key.create", "role": role, "label": "test"]
        if let tenant { request["tenant"] = tenant }
        return try #require(try await admin.admin(request)["secret"] as? String)
    }

    @Test func aTenantsClientCannotSeeOrTouchAnotherTenantsLicensesOrSessions() async throws {
        try await withDaemon(licenses: Self.licenses, settings: Self.settings) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            let acme = try await ProtocolProbe.client(daemon, accessKey: try await Self.createKey(admin, tenant: "acme"))
            let globex = try await ProtocolProbe.client(daemon, accessKey: try await Self.createKey(admin, tenant: "globex"))

            // Own license: usable.
            guard case .validated(let own) = try await acme.request(.validate(licenseKey: "ACME-CAD")) else { throw ProbeError("not validated") }
            #expect(own.seatsTotal == 2)
            let grant = try #require(try await acme.acquire("ACME-CAD").grant)

            // The other tenant's license: exactly like a license that does not exist.
            #expect(try await acme.request(.validate(licenseKey: "GLOBEX-CAD")).errorCode == .unknownLicense)
            #expect(try await acme.acquire("GLOBEX-CAD").errorCode == .unknownLicense)
            #expect(try await acme.request(.validate(licenseKey: "NO-SUCH")).errorCode == .unknownLicense)

            // Another tenant holding the token of acme's session cannot use it or learn its state.
            #expect(try await globex.request(.heartbeat(grant.token)).errorCode == .unknownSession)
            #expect(try await globex.request(.release(grant.token)).errorCode == .unknownSession)
            guard case .heartbeatAccepted = try await acme.request(.heartbeat(grant.token)) else { throw ProbeError("own heartbeat refused") }

            // Even once ended, its tombstone answers only its own tenant.
            guard case .released = try await acme.request(.release(grant.token)) else { throw ProbeError("release refused") }
            #expect(try await acme.request(.heartbeat(grant.token)).errorCode == .sessionReleased)
            #expect(try await globex.request(.heartbeat(grant.token)).errorCode == .unknownSession)
            #expect(try await globex.request(.release(grant.token)).errorCode == .unknownSession)

            // A client key is not an admin key.
            let refused = await #expect(throws: ErrorReply.self) { try await acme.admin(["op": "status"]) }
            #expect(refused?.code == .notAuthorized)
            for probe in [admin, acme, globex] { await probe.close() }
        }
    }

    /// Within one tenant, knowing a colleague's user name and hardware id (the default
    /// hardware id is world-readable) must not hand over their session and its token.
    @Test func anotherKeyOfTheSameTenantNeverReattachesToASessionItDidNotCreate() async throws {
        try await withDaemon(licenses: [TestLicense(key: "ACME-CAD", seats: 1, tenant: "acme")], settings: Self.settings) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            let ana = try await ProtocolProbe.client(daemon, accessKey: try await Self.createKey(admin, tenant: "acme"))
            let mallory = try await ProtocolProbe.client(daemon, accessKey: try await Self.createKey(admin, tenant: "acme"))
            let grant = try #require(try await ana.acquire("ACME-CAD", user: "ana", hardwareID: "ws-ana").grant)
            // Her own key re-attaches, as after a lost reply.
            #expect(try await ana.acquire("ACME-CAD", user: "ana", hardwareID: "ws-ana").grant?.token == grant.token)
            // Another key with the same strings is another holder: the one seat is taken.
            let other = try await mallory.acquire("ACME-CAD", user: "ana", hardwareID: "ws-ana")
            #expect(other.errorCode == .noSeats)
            #expect(other.grant == nil)
            guard case .heartbeatAccepted = try await ana.request(.heartbeat(grant.token)) else { throw ProbeError("her heartbeat was refused") }
            for probe in [admin, ana, mallory] { await probe.close() }
        }
    }

    @Test func withoutAuthenticationSeatRequestsAreRefused() async throws {
        try await withDaemon(licenses: Self.licenses, settings: Self.settings) { daemon in
            let anonymous = try await ProtocolProbe.client(daemon)
            #expect(try await anonymous.acquire("ACME-CAD").errorCode == .authenticationRequired)
            #expect(try await anonymous.request(.validate(licenseKey: "ACME-CAD")).errorCode == .authenticationRequired)
            #expect(try await anonymous.request(.admin(AdminRequest(json: #"{"op":"status"}"#))).errorCode == .notAuthorized)
            await anonymous.close()
        }
    }

    @Test func authenticatedReplyNamesTheTenantAndAdminKeysWorkRemotely() async throws {
        try await withDaemon(licenses: Self.licenses, settings: Self.settings) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            let clientKey = try await Self.createKey(admin, tenant: "acme")
            let adminKey = try await Self.createKey(admin, tenant: nil, role: "admin")

            let client = try await ProtocolProbe.client(daemon)
            #expect(try await client.request(.authenticate(accessKey: clientKey)) == .authenticated(Authenticated(tenant: "acme", role: .client)))
            #expect(try await client.request(.authenticate(accessKey: clientKey)).errorCode == .unexpectedMessage)

            // Remote administration over TLS with an admin key: sees every tenant.
            let remote = try await ProtocolProbe.client(daemon, accessKey: adminKey)
            let status = try await remote.admin(["op": "status"])
            let keys = (status["licenses"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
            #expect(keys == ["ACME-CAD", "GLOBEX-CAD"])
            for probe in [admin, client, remote] { await probe.close() }
        }
    }
}
