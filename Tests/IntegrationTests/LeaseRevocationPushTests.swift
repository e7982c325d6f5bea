import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// A force-release reaches a running SeatLease through the server's SessionRevoked push,
/// long before the lease's next heartbeat would have found out.
@Suite struct LeaseRevocationPushTests {
    /// Heartbeats every 60 s: a revocation noticed within 15 s (a quarter of that) came from the push.
    static let slowHeartbeats = ["lease_seconds": "180", "heartbeat_interval_seconds": "60"]

    static func forceRelease(_ daemon: DaemonProcess, user: String) async throws -> [AdminSession] {
        let admin = try await SeatAdminClient.connect(unixDomainSocketPath: try await daemon.adminSocket())
        defer { Task { await admin.close() } }
        return try await admin.perform(AdminForceRelease(user: user)).reply.released
    }

    @Test func aForceReleasedLeaseIsRevokedAtOnceAndItsTokenIsDead() async throws {
        try await withDaemon(licenses: [TestLicense(key: "PUSH", seats: 1)], settings: Self.slowHeartbeats) { daemon in
            let lease = try await SeatLease.acquire(SeatRequest(licenseKey: "PUSH", user: "ana", hardwareID: "ws-1"), configuration: daemon.clientConfiguration(), options: ShortLeases.options)
            let recorder = StateRecorder(lease)
            let token = try #require(lease.session)

            let started = ContinuousClock.now
            #expect(try await Self.forceRelease(daemon, user: "ana").count == 1)
            let revoked = try await recorder.waitFor(timeout: .seconds(15), "revoked") { if case .revoked = $0 { true } else { false } }
            #expect(ContinuousClock.now - started < .seconds(15))
            guard case .revoked(let loss) = revoked else { return }
            #expect(loss.session == token)
            #expect(loss.reason == .revoked)
            #expect(loss.reply.code == .sessionRevoked)
            #expect(loss.reply.message.contains("administrator"))
            #expect(!loss.willReacquire)
            try await waitUntil("the end of the stream") { recorder.streamEnded }

            // The next heartbeat of that token would have been refused the same way.
            let connection = try await daemon.connect()
            let refusal = await #expect(throws: ErrorReply.self) { try await connection.heartbeat(token) }
            #expect(refusal?.code == .sessionRevoked)
            await connection.close()
        }
    }

    @Test func withReacquireEvenIfRevokedTheLeaseTakesANewSeatAtOnce() async throws {
        try await withDaemon(licenses: [TestLicense(key: "PUSH", seats: 1)], settings: Self.slowHeartbeats) { daemon in
            var options = ShortLeases.options
            options.onSessionLoss = .reacquireEvenIfRevoked
            let lease = try await SeatLease.acquire(SeatRequest(licenseKey: "PUSH", user: "ana", hardwareID: "ws-1"), configuration: daemon.clientConfiguration(), options: options)
            let recorder = StateRecorder(lease)
            let token = try #require(lease.session)

            let started = ContinuousClock.now
            _ = try await Self.forceRelease(daemon, user: "ana")
            let regained = try await recorder.waitFor(timeout: .seconds(15), "a new seat") { $0.isRegained }
            #expect(ContinuousClock.now - started < .seconds(15))
            #expect(regained.recovery == .newSession(replacing: token))
            #expect(recorder.states.contains { if case .revoked(let loss) = $0 { loss.willReacquire } else { false } })
            #expect(lease.session != token)
            try await lease.release()
        }
    }

    @Test func theConnectionDeliversTheNoticeToItsRevocations() async throws {
        try await withDaemon(licenses: [TestLicense(key: "PUSH", seats: 2)], settings: Self.slowHeartbeats) { daemon in
            let connection = try await daemon.connect()
            let grant = try await connection.acquire(licenseKey: "PUSH", user: "ana", hostname: "ws-1", hardwareID: "hw-1", clientVersion: "tests")
            _ = try await Self.forceRelease(daemon, user: "ana")
            var notices = connection.revocations.makeAsyncIterator()
            let notice = await notices.next()
            #expect(notice?.token == grant.token)
            #expect(notice?.reason == .forceReleased)
            // The connection stays usable.
            #expect(try await connection.validate(licenseKey: "PUSH").seatsInUse == 0)
            await connection.close()
        }
    }
}
