import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// `SeatLease` reports a session that is really gone, and re-acquires or stops per policy.
@Suite struct LeaseLossTests {
    @Test func aDeletedLicenseRevokesTheSessionAndTheLeaseStops() async throws {
        let licenses = [TestLicense(key: "GONE", seats: 2), TestLicense(key: "STAYS", seats: 1)]
        try await withDaemon(licenses: licenses, settings: ShortLeases.settings) { daemon in
            let configuration = ShortLeases.configuration(port: daemon.port, daemon: daemon)
            let lease = try await SeatLease.acquire(SeatRequest(licenseKey: "GONE", user: "dave", hardwareID: "ws-4"), configuration: configuration, options: ShortLeases.options)
            var stubborn = ShortLeases.options
            stubborn.onSessionLoss = .reacquireEvenIfRevoked
            let insistent = try await SeatLease.acquire(SeatRequest(licenseKey: "GONE", user: "erin", hardwareID: "ws-5"), configuration: configuration, options: stubborn)
            let recorder = StateRecorder(lease)
            let insistentRecorder = StateRecorder(insistent)
            let token = try #require(lease.session)

            try TestLicense.write([TestLicense(key: "STAYS", seats: 1)], to: daemon.licensesFile)
            daemon.signal(SIGHUP)

            // Default policy: a revoked session is not re-acquired.
            let revoked = try await recorder.waitFor("revoked") { if case .revoked = $0 { true } else { false } }
            guard case .revoked(let loss) = revoked else { return }
            #expect(loss.session == token)
            #expect(loss.reason == .revoked)
            #expect(loss.reply.code == .sessionRevoked)
            #expect(!loss.willReacquire)
            try await waitUntil("the end of the stream") { recorder.streamEnded }
            #expect(lease.session == nil)
            #expect(lease.state.isFinal)
            #expect(try await lease.release() == nil)

            // reacquireEvenIfRevoked tries again, and learns the license is gone.
            let final = try await insistentRecorder.waitFor("final revocation") { $0.isFinal }
            guard case .revoked(let last) = final else {
                Issue.record("not revoked: \(final)")
                return
            }
            #expect(last.reason == .licenseUnusable)
            #expect(last.reply.code == .unknownLicense)
            #expect(insistentRecorder.states.contains { if case .revoked(let first) = $0 { first.reason == .revoked && first.willReacquire } else { false } })
        }
    }

    @Test func aBlackholeLongerThanTheLeaseIsReportedAsExpiryThenHandledPerPolicy() async throws {
        try await withDaemon(licenses: [TestLicense(key: "HOLE", seats: 2)], settings: ShortLeases.settings) { daemon in
            let proxy = try await TCPProxy.start(targetPort: daemon.port)
            let configuration = ShortLeases.configuration(port: proxy.port, daemon: daemon)
            let monitor = SeatCountMonitor(licenseKey: "HOLE", configuration: daemon.clientConfiguration())
            let reacquiring = try await SeatLease.acquire(SeatRequest(licenseKey: "HOLE", user: "frank", hardwareID: "ws-6"), configuration: configuration, options: ShortLeases.options)
            var stopping = ShortLeases.options
            stopping.onSessionLoss = .stop
            let stopped = try await SeatLease.acquire(SeatRequest(licenseKey: "HOLE", user: "grace", hardwareID: "ws-7"), configuration: configuration, options: stopping)
            let reacquiringStates = StateRecorder(reacquiring)
            let stoppedStates = StateRecorder(stopped)
            let lostToken = try #require(reacquiring.session)

            proxy.setBlackholing(true)
            try await reacquiringStates.waitFor("reconnecting") { $0.isReconnecting }
            // Longer than the lease plus a sweep: the server reclaims both seats.
            try await waitUntil("the sessions to expire on the server") { monitor.latestSeen == 0 }
            proxy.setBlackholing(false)

            let lost = try await reacquiringStates.waitFor("lost") { $0.isLost }
            #expect(lost == .lost(LeaseLoss(session: lostToken, reason: .expired, reply: ErrorReply(code: .sessionExpired, message: "the session's lease ran out; acquire a seat"), willReacquire: true)))
            let regained = try await reacquiringStates.waitFor("regained") { $0.isRegained }
            #expect(regained.recovery == .newSession(replacing: lostToken))
            #expect(reacquiring.session != nil && reacquiring.session != lostToken)

            let final = try await stoppedStates.waitFor("lost for good") { $0.isFinal }
            guard case .lost(let loss) = final else {
                Issue.record("not lost: \(final)")
                return
            }
            #expect(loss.reason == .expired)
            #expect(!loss.willReacquire)
            #expect(stopped.session == nil)

            try await waitUntil("one seat taken again") { monitor.latestSeen == 1 }
            #expect(monitor.highestSeen <= 2)
            await monitor.stop()
            try await reacquiring.release()
            await proxy.stop()
        }
    }
}
