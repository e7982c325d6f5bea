@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// A session that is really gone, per loss policy; release and cancel.
@Suite struct LeaseMachineLossTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var code: ErrorCode
        var policy: SessionLossPolicy
        var reason: LeaseLossReason
        var reportedAsRevoked: Bool
        var reacquires: Bool
        var testDescription: String { "\(code) with \(policy)" }
    }

    static let cases: [Case] = [
        Case(code: .sessionExpired, policy: .reacquire, reason: .expired, reportedAsRevoked: false, reacquires: true),
        Case(code: .sessionReleased, policy: .reacquire, reason: .releasedElsewhere, reportedAsRevoked: false, reacquires: true),
        Case(code: .unknownSession, policy: .reacquire, reason: .forgotten, reportedAsRevoked: false, reacquires: true),
        Case(code: .sessionRevoked, policy: .reacquire, reason: .revoked, reportedAsRevoked: true, reacquires: false),
        Case(code: .sessionExpired, policy: .reacquireEvenIfRevoked, reason: .expired, reportedAsRevoked: false, reacquires: true),
        Case(code: .sessionRevoked, policy: .reacquireEvenIfRevoked, reason: .revoked, reportedAsRevoked: true, reacquires: true),
        Case(code: .sessionExpired, policy: .stop, reason: .expired, reportedAsRevoked: false, reacquires: false),
        Case(code: .sessionReleased, policy: .stop, reason: .releasedElsewhere, reportedAsRevoked: false, reacquires: false),
        Case(code: .unknownSession, policy: .stop, reason: .forgotten, reportedAsRevoked: false, reacquires: false),
        Case(code: .sessionRevoked, policy: .stop, reason: .revoked, reportedAsRevoked: true, reacquires: false),
    ]

    @Test(arguments: cases)
    func sessionGoneFollowsThePolicy(_ test: Case) {
        var machine = holdingMachine(policy: test.policy)
        #expect(machine.nextAction(now: at(2)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        let failure = refusal(test.code)
        guard case .server(let reply) = failure else { return }
        let loss = LeaseLoss(session: tokenA, reason: test.reason, reply: reply, willReacquire: test.reacquires)
        let state = machine.handle(.requestFailed(failure), now: at(2))
        #expect(state == (test.reportedAsRevoked ? .revoked(loss) : .lost(loss)))
        #expect(state?.isHeld == false)
        #expect(state?.isFinal == !test.reacquires)
        #expect(machine.session == nil)
        if test.reacquires {
            // At once: the seat is already gone, so there is nothing to wait for.
            #expect(machine.nextAction(now: at(2)) == .acquire)
            #expect(machine.handle(.acquired(grant(tokenB)), now: at(2.1)) == .regained(grant(tokenB), .newSession(replacing: tokenA)))
        } else {
            #expect(machine.nextAction(now: at(2)) == .finish)
        }
    }

    @Test(arguments: [ErrorCode.unknownLicense, .licenseExpired, .licenseSuspended, .licenseRevoked])
    func unusableLicenseRevokesForGoodWhateverThePolicy(code: ErrorCode) {
        var machine = holdingMachine(policy: .reacquireEvenIfRevoked)
        _ = machine.nextAction(now: at(2))
        guard case .server(let reply) = refusal(code) else { return }
        #expect(machine.handle(.requestFailed(refusal(code)), now: at(2)) == .revoked(LeaseLoss(session: tokenA, reason: .licenseUnusable, reply: reply, willReacquire: false)))
        #expect(machine.nextAction(now: at(2)) == .finish)
        // Nothing after the end changes anything.
        #expect(machine.handle(.heartbeatAccepted(accepted(expiresAt: 9)), now: at(3)) == nil)
    }

    @Test func anUnknownCodeEndsTheLeaseAsRefused() {
        var machine = holdingMachine()
        _ = machine.nextAction(now: at(2))
        let reply = ErrorReply(rawCode: 999, message: "from the future")
        #expect(machine.handle(.requestFailed(.server(reply)), now: at(2)) == .lost(LeaseLoss(session: tokenA, reason: .refused, reply: reply, willReacquire: false)))
        #expect(machine.nextAction(now: at(2)) == .finish)
    }

    @Test func reacquiringWaitsForASeatWithBackoff() {
        var machine = holdingMachine()
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(refusal(.sessionExpired)), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .acquire)
        let full = refusal(.noSeats, .noSeats(seatsTotal: 3, seatsInUse: 3, nextFreeAt: wall(100)))
        #expect(machine.handle(.requestFailed(full), now: at(2)) == .waitingForSeat(SeatShortage(seatsTotal: 3, seatsInUse: 3, nextFreeAt: wall(100), retryIn: .seconds(1))))
        #expect(machine.nextAction(now: at(2)) == .sleep(until: .seconds(3)))
        #expect(machine.nextAction(now: at(3)) == .acquire)
        #expect(machine.handle(.requestFailed(full), now: at(3)) == .waitingForSeat(SeatShortage(seatsTotal: 3, seatsInUse: 3, nextFreeAt: wall(100), retryIn: .seconds(2))))
        // No wait deadline after the start: it keeps trying.
        _ = machine.nextAction(now: at(5))
        #expect(machine.handle(.acquired(grant(tokenB)), now: at(5)) == .regained(grant(tokenB), .newSession(replacing: tokenA)))
    }

    @Test func releaseStopsTheLeaseOnce() {
        var machine = holdingMachine()
        #expect(machine.stop() == .stopped(holding: tokenA))
        #expect(machine.nextAction(now: at(1)) == .finish)
        #expect(machine.stop() == .alreadyStopped)
        #expect(machine.end(.released) == .released)
        #expect(machine.state?.isFinal == true)
        #expect(machine.session == nil)
    }

    @Test func stoppingAfterALossHasNothingToRelease() {
        var machine = holdingMachine()
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(refusal(.sessionExpired)), now: at(2))
        #expect(machine.stop() == .stopped(holding: nil))
    }

    @Test func aLeaseThatEndedOnItsOwnCannotBeStopped() {
        var machine = holdingMachine(policy: .stop)
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(refusal(.sessionExpired)), now: at(2))
        #expect(machine.stop() == .alreadyStopped)
    }
}
