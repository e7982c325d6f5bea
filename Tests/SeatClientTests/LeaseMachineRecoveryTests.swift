@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// A held lease meeting network blips, server restarts and retryable refusals.
@Suite struct LeaseMachineRecoveryTests {
    @Test func droppedConnectionReattachesToTheSameSessionByHeartbeat() {
        var machine = holdingMachine()
        #expect(machine.nextAction(now: at(2)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        let interrupted = machine.handle(.requestFailed(.connectionLost("reset")), now: at(2))
        #expect(interrupted == .reconnecting(LeaseInterruption(attempt: 1, cause: .connectionLost("reset"), retryIn: .seconds(1), session: tokenA, lastConfirmedExpiry: wall(6))))
        #expect(machine.nextAction(now: at(2)) == .sleep(until: .seconds(3)))
        #expect(machine.nextAction(now: at(3)) == .connect(server: 0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(3))
        // Re-attach at once, although the next heartbeat would not be due yet; never acquire.
        #expect(machine.nextAction(now: at(3)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        let regained = machine.handle(.heartbeatAccepted(accepted(expiresAt: 9)), now: at(3))
        var renewed = grant()
        renewed.leaseExpiresAt = wall(9)
        #expect(regained == .regained(renewed, .sameSession))
        #expect(machine.session == tokenA)
        #expect(machine.nextAction(now: at(3)) == .sleep(until: .seconds(5)))
    }

    @Test func reconnectAttemptsBackOffExponentiallyAndResetAfterSuccess() {
        // A long lease, so that no retry is hurried by the coming expiry.
        var machine = holdingMachine(lease: .seconds(600))
        _ = machine.nextAction(now: at(2))
        var now = 2.0
        var retries: [Duration] = []
        guard case .reconnecting(let first) = machine.handle(.requestFailed(.timedOut), now: at(now)) else {
            Issue.record("not reconnecting")
            return
        }
        retries.append(first.retryIn)
        for attempt in 2...5 {
            now += retries.last!.inSeconds
            #expect(machine.nextAction(now: at(now)) == .connect(server: 0))
            guard case .reconnecting(let next) = machine.handle(.connectFailed(server: 0, .unreachable("down")), now: at(now)) else {
                Issue.record("not reconnecting")
                return
            }
            #expect(next.attempt == attempt)
            #expect(next.cause == .unreachable("down"))
            retries.append(next.retryIn)
        }
        #expect(retries == [.seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4)])
        now += 4
        _ = machine.nextAction(now: at(now))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(now))
        _ = machine.nextAction(now: at(now))
        _ = machine.handle(.heartbeatAccepted(accepted(expiresAt: now + 6)), now: at(now))
        // The next interruption starts from the first delay again.
        _ = machine.nextAction(now: at(now + 2))
        guard case .reconnecting(let again) = machine.handle(.requestFailed(.timedOut), now: at(now + 2)) else {
            Issue.record("not reconnecting")
            return
        }
        #expect(again.attempt == 1)
        #expect(again.retryIn == .seconds(1))
    }

    @Test func jitterComesFromTheInjectedRandomness() {
        let options = LeaseOptions(backoff: ReconnectBackoff(initial: .seconds(1), maximum: .seconds(4), multiplier: 2, jitter: 0.5))
        var machine = Machine(servers: testServers(1), options: options, requestTimeout: testRequestTimeout, random: FixedRandom(word: .max), startedAt: .zero)
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.acquired(grant()), now: at(0))
        _ = machine.nextAction(now: at(2))
        guard case .reconnecting(let interruption) = machine.handle(.requestFailed(.timedOut), now: at(2)) else {
            Issue.record("not reconnecting")
            return
        }
        #expect(interruption.retryIn == .milliseconds(500))
    }

    @Test func reconnectFailsOverToTheNextServerAndLaterPrefersTheFirstAgain() {
        var machine = holdingMachine(servers: 2)
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(.connectionLost("reset")), now: at(2))
        #expect(machine.nextAction(now: at(3)) == .connect(server: 0))
        // The preferred server is down: the fallback is tried at once, without a new state.
        #expect(machine.handle(.connectFailed(server: 0, .unreachable("primary")), now: at(3)) == nil)
        #expect(machine.nextAction(now: at(3)) == .connect(server: 1))
        _ = machine.handle(.connected(server: 1, lease: testLease), now: at(3))
        #expect(machine.nextAction(now: at(3)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        #expect(machine.handle(.heartbeatAccepted(accepted(expiresAt: 9)), now: at(3)) != nil)
        _ = machine.nextAction(now: at(5))
        _ = machine.handle(.requestFailed(.connectionLost("reset")), now: at(5))
        #expect(machine.nextAction(now: at(6)) == .connect(server: 0))
    }

    @Test(arguments: [ErrorCode.shuttingDown, .idleTimeout])
    func closingRefusalsReconnect(code: ErrorCode) {
        var machine = holdingMachine()
        _ = machine.nextAction(now: at(2))
        guard case .reconnecting(let interruption) = machine.handle(.requestFailed(refusal(code)), now: at(2)) else {
            Issue.record("not reconnecting")
            return
        }
        #expect(interruption.cause == refusal(code))
        #expect(machine.nextAction(now: at(3)) == .connect(server: 0))
    }

    @Test(arguments: [ErrorCode.storageFull, .storageFailure, .internalError])
    func storageRefusalsRetryOnTheSameConnection(code: ErrorCode) {
        var machine = holdingMachine()
        _ = machine.nextAction(now: at(2))
        guard case .reconnecting = machine.handle(.requestFailed(refusal(code)), now: at(2)) else {
            Issue.record("not reconnecting")
            return
        }
        #expect(machine.nextAction(now: at(2.5)) == .sleep(until: .seconds(3)))
        #expect(machine.nextAction(now: at(3)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        guard case .regained(_, .sameSession) = machine.handle(.heartbeatAccepted(accepted(expiresAt: 9)), now: at(3)) else {
            Issue.record("not regained")
            return
        }
    }

    @Test func serverRestartWhileReacquiringReturnsTheSameSessionViaIdempotentAcquire() {
        var machine = holdingMachine()
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(refusal(.sessionExpired)), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .acquire)
        // The acquire's reply is cut off; the server did grant it. On reconnect the same
        // holder gets that session back, which is new compared with the lost one.
        _ = machine.handle(.requestFailed(.connectionLost("reset")), now: at(2))
        #expect(machine.nextAction(now: at(3)) == .connect(server: 0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(3))
        #expect(machine.nextAction(now: at(3)) == .acquire)
        #expect(machine.handle(.acquired(grant(tokenB, reattached: true)), now: at(3)) == .regained(grant(tokenB, reattached: true), .newSession(replacing: tokenA)))
    }

    @Test func anIdempotentAcquireThatReturnsTheLostTokenCountsAsTheSameSession() {
        var machine = holdingMachine(policy: .reacquireEvenIfRevoked)
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(refusal(.unknownSession)), now: at(2))
        _ = machine.nextAction(now: at(2))
        #expect(machine.handle(.acquired(grant(tokenA, reattached: true)), now: at(2)) == .regained(grant(tokenA, reattached: true), .sameSession))
    }
}
