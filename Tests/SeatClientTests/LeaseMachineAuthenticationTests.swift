@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// Refusals of the access key: final when the key is refused, backoff (honouring the
/// server's retry-after) when the address is throttled.
@Suite struct LeaseMachineAuthenticationTests {
    static let failed = ErrorReply(code: .authenticationFailed, message: "unknown access key")

    @Test func aRefusedKeyFailsTheStartWithTheReply() {
        var machine = makeMachine(waitForSeat: .seconds(60))
        #expect(machine.nextAction(now: at(0)) == .connect(server: 0))
        #expect(machine.handle(.connectFailed(server: 0, .server(Self.failed)), now: at(0)) == nil)
        #expect(machine.start == .failed(.server(Self.failed)))
        #expect(machine.nextAction(now: at(0)) == .finish)
    }

    @Test func aRefusedKeyOnReconnectEndsTheLeaseWithAClearReason() {
        var machine = holdingMachine(servers: 2)
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(.connectionLost("closed")), now: at(2))
        #expect(machine.nextAction(now: at(3)) == .connect(server: 0))
        // Not tried on the next server: the keys are the same everywhere.
        let state = machine.handle(.connectFailed(server: 0, .server(Self.failed)), now: at(3))
        #expect(state == .lost(LeaseLoss(session: tokenA, reason: .notAuthenticated, reply: Self.failed, willReacquire: false)))
        #expect(state?.isFinal == true)
        #expect(machine.nextAction(now: at(3)) == .finish)
    }

    @Test func authenticationRequiredOnAnAcquireEndsTheLease() {
        var machine = holdingMachine()
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(.server(ErrorReply(code: .sessionExpired, message: "expired"))), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .acquire)
        let required = ErrorReply(code: .authenticationRequired, message: "authenticate first")
        #expect(machine.handle(.requestFailed(.server(required)), now: at(2)) == .lost(LeaseLoss(session: nil, reason: .notAuthenticated, reply: required, willReacquire: false)))
        #expect(machine.nextAction(now: at(2)) == .finish)
    }

    @Test func throttlingWaitsAtLeastTheRetryAfterTheServerGave() {
        var machine = holdingMachine()
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(.connectionLost("closed")), now: at(2))
        #expect(machine.nextAction(now: at(3)) == .connect(server: 0))
        let throttled = ErrorReply(code: .authenticationThrottled, message: "too many failed authentications", detail: .retryAfter(milliseconds: 30_000))
        guard case .reconnecting(let interruption)? = machine.handle(.connectFailed(server: 0, .server(throttled)), now: at(3)) else {
            Issue.record("not reconnecting")
            return
        }
        // The backoff alone would be 2 s.
        #expect(interruption.retryIn == .seconds(30))
        #expect(machine.nextAction(now: at(4)) == .sleep(until: .seconds(33)))
        #expect(machine.nextAction(now: at(33)) == .connect(server: 0))
    }

    @Test func throttlingWithoutADetailUsesTheBackoff() {
        var machine = holdingMachine()
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(.connectionLost("closed")), now: at(2))
        _ = machine.nextAction(now: at(3))
        let throttled = ErrorReply(code: .authenticationThrottled, message: "throttled")
        guard case .reconnecting(let interruption)? = machine.handle(.connectFailed(server: 0, .server(throttled)), now: at(3)) else {
            Issue.record("not reconnecting")
            return
        }
        #expect(interruption.retryIn == .seconds(2))
    }

    @Test func dispositionsOfTheAuthenticationCodes() {
        #expect(ReplyDisposition(Self.failed) == .notAuthenticated)
        #expect(ReplyDisposition(ErrorReply(code: .authenticationRequired, message: "")) == .notAuthenticated)
        #expect(ReplyDisposition(ErrorReply(code: .authenticationThrottled, message: "", detail: .retryAfter(milliseconds: 1500))) == .throttled(retryAfter: .milliseconds(1500)))
        #expect(ReplyDisposition(ErrorReply(code: .notAuthorized, message: "")) == .refused)
    }
}
