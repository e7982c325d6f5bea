@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// When heartbeats go out and how long they may take, with the server's default terms
/// (a 360 s lease, heartbeats every 120 s) and a 15 s request timeout: one slow
/// heartbeat must never cost the seat.
@Suite struct LeaseMachineTimingTests {
    static let lease = Duration.seconds(360)

    /// Holds `tokenA`, granted on an acquire sent at 0 s; heartbeats every 120 s.
    func defaultTermsMachine(backoff: ReconnectBackoff = plainBackoff) -> Machine {
        var machine = makeMachine(backoff: backoff, requestTimeout: .seconds(15))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: Self.lease), now: at(0))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.acquired(grant(intervalSeconds: 120, expiresAt: 360)), now: at(0))
        return machine
    }

    @Test func aPromptReplySchedulesTheNextHeartbeatOneIntervalLater() {
        var machine = defaultTermsMachine()
        #expect(machine.nextAction(now: at(0)) == .sleep(until: .seconds(120)))
        #expect(machine.nextAction(now: at(120)) == .heartbeat(tokenA, timeout: .seconds(15)))
        _ = machine.handle(.heartbeatAccepted(accepted(expiresAt: 481, intervalSeconds: 120)), now: at(121))
        #expect(machine.nextAction(now: at(121)) == .sleep(until: .seconds(241)))
    }

    @Test func aLateReplyNeverSchedulesTheNextHeartbeatPastTheExpiry() {
        var machine = defaultTermsMachine()
        #expect(machine.nextAction(now: at(120)) == .heartbeat(tokenA, timeout: .seconds(15)))
        // The reply arrives 250 s late. The server renewed the lease when the heartbeat
        // reached it, at 120 s at the earliest, so the lease runs until 480 s at least:
        // 370 + 120 s would be past it. Heartbeat half an interval before it instead.
        #expect(machine.handle(.heartbeatAccepted(accepted(expiresAt: 480, intervalSeconds: 120)), now: at(370)) == nil)
        #expect(machine.nextAction(now: at(370)) == .sleep(until: .seconds(420)))
        #expect(machine.nextAction(now: at(420)) == .heartbeat(tokenA, timeout: .seconds(15)))
    }

    @Test func theExpiryCountsFromWhenTheRequestWasSentNotFromTheServersClock() {
        var machine = defaultTermsMachine()
        _ = machine.nextAction(now: at(120))
        // The workstation's clock is ten minutes ahead of the server's, so the expiry the
        // server reports looks long past: heartbeats still go out once per interval.
        _ = machine.handle(.heartbeatAccepted(accepted(expiresAt: 480 - 600, intervalSeconds: 120)), now: at(121))
        #expect(machine.nextAction(now: at(121)) == .sleep(until: .seconds(241)))
        #expect(machine.leaseExpiresAt == wall(480 - 600))
    }

    @Test func theRequestTimeoutIsBoundedByTheTimeLeftBeforeTheConfirmedExpiry() {
        var machine = defaultTermsMachine()
        _ = machine.nextAction(now: at(120))
        _ = machine.handle(.requestFailed(.connectionLost("reset")), now: at(120))
        #expect(machine.nextAction(now: at(121)) == .connect(server: 0))
        // A connect that hangs until 355 s: 5 s are left of the lease confirmed at 0 s.
        _ = machine.handle(.connected(server: 0, lease: Self.lease), now: at(355))
        #expect(machine.nextAction(now: at(355)) == .heartbeat(tokenA, timeout: .seconds(5)))
    }

    @Test func pastTheConfirmedExpiryTheFullTimeoutApplies() {
        var machine = defaultTermsMachine()
        _ = machine.nextAction(now: at(120))
        _ = machine.handle(.requestFailed(.connectionLost("reset")), now: at(120))
        _ = machine.nextAction(now: at(121))
        // Less than a second left: a shorter wait could not get an answer from a busy
        // server, and the answer (renewed by a restart's extension, or sessionExpired) is
        // what the lease needs now.
        _ = machine.handle(.connected(server: 0, lease: Self.lease), now: at(359.5))
        #expect(machine.nextAction(now: at(359.5)) == .heartbeat(tokenA, timeout: .seconds(15)))
        _ = machine.handle(.requestFailed(.timedOut), now: at(374.5))
        _ = machine.nextAction(now: at(374.5))
        _ = machine.handle(.connected(server: 0, lease: Self.lease), now: at(374.5))
        #expect(machine.nextAction(now: at(374.5)) == .heartbeat(tokenA, timeout: .seconds(15)))
    }

    @Test func aFailedHeartbeatCloseToTheExpiryIsRetriedAtOnceThenWithBackoff() {
        var machine = defaultTermsMachine()
        _ = machine.nextAction(now: at(120))
        _ = machine.handle(.heartbeatAccepted(accepted(expiresAt: 480, intervalSeconds: 120)), now: at(370))
        #expect(machine.nextAction(now: at(420)) == .heartbeat(tokenA, timeout: .seconds(15)))
        // It times out 45 s before the expiry: not a second of backoff, reconnect now.
        guard case .reconnecting(let interruption) = machine.handle(.requestFailed(.timedOut), now: at(435)) else {
            Issue.record("not reconnecting")
            return
        }
        #expect(interruption.retryIn == .zero)
        #expect(machine.nextAction(now: at(435)) == .connect(server: 0))
        // A refusal that comes back at once must not spin: from now on, the backoff's steps.
        _ = machine.handle(.connectFailed(server: 0, .unreachable("refused")), now: at(435))
        #expect(machine.nextAction(now: at(435)) == .sleep(until: .seconds(436)))
        _ = machine.handle(.connectFailed(server: 0, .unreachable("refused")), now: at(436))
        #expect(machine.nextAction(now: at(436)) == .sleep(until: .seconds(438)))
        // Success ends the hurry: a failure well before the new expiry backs off as usual.
        _ = machine.handle(.connected(server: 0, lease: Self.lease), now: at(438))
        #expect(machine.nextAction(now: at(438)) == .heartbeat(tokenA, timeout: .seconds(15)))
        _ = machine.handle(.heartbeatAccepted(accepted(expiresAt: 798, intervalSeconds: 120)), now: at(439))
        #expect(machine.nextAction(now: at(558)) == .sleep(until: .seconds(559)))
        _ = machine.nextAction(now: at(559))
        _ = machine.handle(.heartbeatAccepted(accepted(expiresAt: 919, intervalSeconds: 120)), now: at(559))
        _ = machine.nextAction(now: at(679))
        _ = machine.handle(.requestFailed(.timedOut), now: at(694))
        #expect(machine.nextAction(now: at(694)) == .sleep(until: .seconds(695)))
    }

    @Test func aBackoffThatWouldSleepPastTheLastSafeMomentWakesAtIt() {
        var machine = defaultTermsMachine(backoff: ReconnectBackoff(initial: .seconds(100), maximum: .seconds(100), multiplier: 1, jitter: 0))
        _ = machine.nextAction(now: at(120))
        _ = machine.handle(.requestFailed(.connectionLost("reset")), now: at(120))
        #expect(machine.nextAction(now: at(120)) == .sleep(until: .seconds(220)))
        _ = machine.nextAction(now: at(220))
        // 100 s more would be 320 s; the last safe moment (half an interval before the
        // 360 s expiry) is 300 s.
        guard case .reconnecting(let interruption) = machine.handle(.connectFailed(server: 0, .unreachable("down")), now: at(220)) else {
            Issue.record("not reconnecting")
            return
        }
        #expect(interruption.retryIn == .seconds(80))
        #expect(machine.nextAction(now: at(220)) == .sleep(until: .seconds(300)))
    }

    @Test func aServerThatSaysWhenToComeBackIsObeyedEvenCloseToTheExpiry() {
        var machine = defaultTermsMachine()
        _ = machine.nextAction(now: at(120))
        _ = machine.handle(.requestFailed(.connectionLost("reset")), now: at(120))
        _ = machine.nextAction(now: at(121))
        let throttled = refusal(.authenticationThrottled, .retryAfter(milliseconds: 5000))
        _ = machine.handle(.connectFailed(server: 0, throttled), now: at(330))
        #expect(machine.nextAction(now: at(330)) == .sleep(until: .seconds(335)))
    }
}
