import NIOCore
import NIOEmbedded
import SeatCore
import SeatProtocol
@testable import SeatServer
import Testing

/// A connection tracks the sessions it used only while they live, so a long-lived
/// connection that acquires and releases does not grow.
@Suite struct ConnectionSessionTrackingTests {
    static func acquire(_ user: String) -> ClientMessage {
        .acquire(AcquireRequest(licenseKey: "LIC-1", user: user, hostname: "ws", hardwareID: "hw", clientVersion: "1"))
    }

    static func token(_ outcome: RequestOutcome) throws -> SessionToken {
        guard case .acquired(let grant) = outcome.reply else { throw TrackingFailure(reply: outcome.reply) }
        return grant.token
    }

    struct TrackingFailure: Error { let reply: ServerMessage }

    @Test func releasedSessionsAreForgotten() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let (dispatcher, _) = try seats.dispatcher()
        let (link, _) = testLink()
        seats.connections.register(link)
        for round in 0..<50 {
            let token = try Self.token(await dispatcher.respond(to: Self.acquire("user-\(round)"), on: link))
            #expect(seats.connections.attachedSessions == 1)
            _ = await dispatcher.respond(to: .heartbeat(token), on: link)
            guard case .released(let result) = await dispatcher.respond(to: .release(token), on: link).reply, result.ended else {
                Issue.record("release refused")
                return
            }
        }
        #expect(seats.connections.attachedSessions == 0)
        #expect(link.tokens.isEmpty)
    }

    @Test func expiredTakenOverAndForceReleasedSessionsAreForgotten() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let (dispatcher, _) = try seats.dispatcher()
        let (link, _) = testLink()
        seats.connections.register(link)

        _ = try Self.token(await dispatcher.respond(to: Self.acquire("swept"), on: link))
        seats.advance(milliseconds: SeatServiceFixture.lease)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 1)
        #expect(link.tokens.isEmpty)

        _ = try Self.token(await dispatcher.respond(to: Self.acquire("lapsed"), on: link))
        seats.advance(milliseconds: SeatServiceFixture.lease)
        _ = try Self.token(await dispatcher.respond(to: Self.acquire("taker"), on: link))
        #expect(link.tokens.count == 1, "the taken-over session is forgotten")

        let released = try await seats.service.forceRelease(matching: SessionFilter(user: "taker"), by: "root")
        #expect(released.count == 1)
        #expect(link.tokens.isEmpty)
        #expect(seats.connections.attachedSessions == 0)
    }
}
