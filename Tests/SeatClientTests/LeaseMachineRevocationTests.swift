@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// A SessionRevoked notice pushed by the server ends the session at once, exactly as a
/// heartbeat answered `sessionRevoked` would at the next heartbeat.
@Suite struct LeaseMachineRevocationTests {
    static let notice = SessionRevokedNotice(token: tokenA, reason: .forceReleased, message: "released by an administrator")
    static let loss = LeaseLoss(
        session: tokenA, reason: .revoked, reply: ErrorReply(code: .sessionRevoked, message: "released by an administrator"), willReacquire: false
    )

    @Test(arguments: [SessionLossPolicy.reacquire, .stop])
    func aNoticeForTheHeldSessionRevokesItForGoodBeforeTheNextHeartbeat(policy: SessionLossPolicy) {
        var machine = holdingMachine(policy: policy)
        // Sleeping until the heartbeat at 2 s; the notice arrives at 0.5 s.
        #expect(machine.nextAction(now: at(0.5)) == .sleep(until: .seconds(2)))
        let state = machine.handle(.sessionRevoked(Self.notice), now: at(0.5))
        #expect(state == .revoked(Self.loss))
        #expect(state?.isFinal == true)
        #expect(machine.session == nil)
        #expect(machine.nextAction(now: at(0.5)) == .finish)
    }

    @Test func withReacquireEvenIfRevokedANewSeatIsAcquiredAtOnce() {
        var machine = holdingMachine(policy: .reacquireEvenIfRevoked)
        var reacquiring = Self.loss
        reacquiring.willReacquire = true
        #expect(machine.handle(.sessionRevoked(Self.notice), now: at(0.5)) == .revoked(reacquiring))
        #expect(machine.nextAction(now: at(0.5)) == .acquire)
        #expect(machine.handle(.acquired(grant(tokenB)), now: at(0.6)) == .regained(grant(tokenB), .newSession(replacing: tokenA)))
    }

    @Test func theNoticeAndTheHeartbeatRefusalReportTheSameState() {
        var byNotice = holdingMachine()
        var byHeartbeat = holdingMachine()
        _ = byHeartbeat.nextAction(now: at(2))
        let fromHeartbeat = byHeartbeat.handle(.requestFailed(.server(ErrorReply(code: .sessionRevoked, message: "released by an administrator"))), now: at(2))
        #expect(byNotice.handle(.sessionRevoked(Self.notice), now: at(0.5)) == fromHeartbeat)
    }

    @Test func aNoticeForAnotherSessionChangesNothing() {
        var machine = holdingMachine()
        let other = SessionRevokedNotice(token: tokenB, reason: .licenseRevoked, message: "license revoked")
        #expect(machine.handle(.sessionRevoked(other), now: at(0.5)) == nil)
        #expect(machine.session == tokenA)
        #expect(machine.nextAction(now: at(2)) == .heartbeat(tokenA, timeout: testRequestTimeout))
    }

    @Test func aNoticeAfterTheHeartbeatAlreadyReportedTheLossChangesNothing() {
        var machine = holdingMachine(policy: .reacquireEvenIfRevoked)
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(.server(ErrorReply(code: .sessionRevoked, message: "revoked"))), now: at(2))
        #expect(machine.handle(.sessionRevoked(Self.notice), now: at(2.1)) == nil)
        #expect(machine.nextAction(now: at(2.1)) == .acquire)
    }

    @Test func aNoticeBeforeTheFirstGrantChangesNothing() {
        var machine = makeMachine()
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        #expect(machine.handle(.sessionRevoked(Self.notice), now: at(0)) == nil)
        #expect(machine.start == .pending)
        #expect(machine.nextAction(now: at(0)) == .acquire)
    }
}
