import NIOCore
import NIOEmbedded
import SeatCore
import SeatProtocol
@testable import SeatServer
import Testing

/// Authentication against the access registry: a revoked key never leaves an
/// authenticated connection behind, a principal's reach is explicit, and the throttle
/// window is exact on the manual clock.
@Suite struct AccessAuthenticationTests {
    @Test func onlyTheAdminRoleActsForEveryTenant() throws {
        let clientWithoutTenant = AccessKey(id: "0123456789abcdef", tenant: nil, role: .client, secretDigest: [], label: "", createdAt: .init(millisecondsSinceEpoch: 0))
        #expect(Principal(clientWithoutTenant) == nil)
        let client = AccessKey(id: "0123456789abcdef", tenant: "acme", role: .client, secretDigest: [], label: "", createdAt: .init(millisecondsSinceEpoch: 0))
        let principal = try #require(Principal(client))
        #expect(principal.scope == .tenant("acme"))
        #expect(principal.canAccess(tenant: "acme"))
        #expect(!principal.canAccess(tenant: "globex"))
        let admin = AccessKey(id: "fedcba9876543210", tenant: nil, role: .admin, secretDigest: [], label: "", createdAt: .init(millisecondsSinceEpoch: 0))
        #expect(Principal(admin)?.scope == .allTenants)
        #expect(Principal.anonymous(tenant: "acme").scope == .tenant("acme"))
        #expect(Principal.administrator.canAccess(tenant: "anything"))
    }

    @Test func revokingAKeyClosesItsConnectionsAndRefusesItFromThenOn() async throws {
        let seats = try await SeatServiceFixture(licenses: [])
        defer { seats.remove() }
        let (dispatcher, access) = try seats.dispatcher()
        _ = try await access.addTenant(id: "acme", name: "")
        let (key, secret) = try await access.createKey(tenant: "acme", role: .client, label: "")

        let (link, channel) = testLink(principal: nil)
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7420))
        seats.connections.register(link)
        guard case .authenticated(let authenticated) = await dispatcher.respond(to: .authenticate(accessKey: secret), on: link).reply else {
            Issue.record("the key did not authenticate")
            return
        }
        #expect(authenticated.tenant == "acme")
        #expect(link.principal?.keyID == key.id)

        _ = try await access.revokeKey(key.id)
        await channel.testingEventLoop.run()
        #expect(!channel.isActive, "the revoked key's connection is closed")

        let (late, _) = testLink(principal: nil)
        let outcome = await dispatcher.respond(to: .authenticate(accessKey: secret), on: late)
        #expect(outcome.closeAfterReply)
        #expect(late.principal == nil)
    }

    /// Authentications racing a revocation: each either fails or is closed by it.
    /// A viewer key is the dashboard's: the seat protocol refuses it and says why.
    @Test func aViewerKeyIsRefusedByAuthenticate() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let (dispatcher, access) = try seats.dispatcher()
        let (_, secret) = try await access.createKey(tenant: nil, role: .viewer, label: "finance")
        let (link, _) = testLink(principal: nil)
        let outcome = await dispatcher.respond(to: .authenticate(accessKey: secret), on: link)
        guard case .error(let reply) = outcome.reply else {
            Issue.record("a viewer key authenticated: \(outcome.reply)")
            return
        }
        #expect(reply.code == .authenticationFailed)
        #expect(reply.message == "a viewer key signs in to the dashboard only")
        #expect(outcome.closeAfterReply)
        #expect(link.principal == nil)
    }

    @Test func noAuthenticationRacingARevocationSurvivesIt() async throws {
        let seats = try await SeatServiceFixture(licenses: [])
        defer { seats.remove() }
        let (dispatcher, access) = try seats.dispatcher(throttleLimit: 10_000)
        _ = try await access.addTenant(id: "acme", name: "")
        let (key, secret) = try await access.createKey(tenant: "acme", role: .client, label: "")
        let links = (0..<200).map { _ in testLink(principal: nil) }
        for (link, channel) in links {
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7420))
            seats.connections.register(link)
        }
        await withTaskGroup(of: Void.self) { group in
            for (link, _) in links {
                group.addTask { _ = await dispatcher.respond(to: .authenticate(accessKey: secret), on: link) }
            }
            group.addTask { _ = try? await access.revokeKey(key.id) }
        }
        for (link, channel) in links where link.principal != nil {
            await channel.testingEventLoop.run()
            #expect(!channel.isActive, "a connection authenticated with the revoked key is still open")
        }
    }

    @Test func theThrottleOpensExactlyAtTheEndOfItsWindow() {
        let clock = ManualClock()
        let gate = AuthenticationGate(limit: 2, globalLimit: 100, windowSeconds: 60, clock: clock)
        let attempt = AuthenticationThrottle.Attempt.unknownKey(address: "10.0.0.9")
        #expect(gate.retryAfter(attempt) == nil)
        gate.recordFailure(attempt)
        clock.advance(by: .seconds(10))
        #expect(gate.retryAfter(attempt) == nil, "one failure is below the limit")
        gate.recordFailure(attempt)
        #expect(gate.retryAfter(attempt) == 50_000)
        #expect(gate.retryAfter(.unknownKey(address: "10.0.0.10")) == nil)
        clock.advance(by: .milliseconds(49_999))
        #expect(gate.retryAfter(attempt) == 1)
        clock.advance(by: .milliseconds(1))
        #expect(gate.retryAfter(attempt) == nil)
    }
}
