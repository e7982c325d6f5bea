import Foundation
import NIOCore
import SeatCluster
import Testing

/// The election's rules, step by step, with time given as input.
@Suite("ClusterTests: leadership state machine")
struct LeadershipStateMachineTests {
    typealias Machine = LeadershipStateMachine
    let configuration = LeadershipConfiguration(
        node: "a", address: "a.example:7070", lease: .seconds(9), pollInterval: .milliseconds(250), leaseMargin: .seconds(2)
    )
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func at(_ milliseconds: Int64) -> NIODeadline { t0 + .milliseconds(milliseconds) }

    func leader(node: String? = "b", expired: Bool, holder: Int32? = 42) -> LeaderRecord {
        LeaderRecord(
            epoch: 7, node: node, address: node.map { "\($0).example:7070" }, leaseUntil: nil, backendPID: 42,
            leaseExpired: expired, lockHolderPID: holder
        )
    }

    /// A machine that took over as epoch 5 at t0.
    func activeMachine() -> Machine {
        var machine = Machine(configuration: configuration)
        _ = machine.start()
        _ = machine.handle(.tookOver(epoch: 5, sentAt: t0), now: at(10))
        return machine
    }

    @Test func aStartingNodeTriesToTakeOverAtOnce() {
        var machine = Machine(configuration: configuration)
        #expect(machine.start() == Machine.Step(next: .tryTakeOver))
        #expect(machine.role == .standby)
    }

    @Test func takingOverMakesTheNodeActiveWithADeadlineOfTheLeaseLessTheMarginFromTheSending() {
        var machine = Machine(configuration: configuration)
        _ = machine.start()
        let step = machine.handle(.tookOver(epoch: 5, sentAt: t0), now: at(10))
        #expect(step.effects == [.emit(.becameActive(epoch: 5)), .emit(.activeNodeChanged(node: "a", address: "a.example:7070"))])
        #expect(step.next == .wait(until: at(10) + .seconds(3)))
        #expect(machine.role == .active(epoch: 5, deadline: at(7000)))
    }

    @Test func aTakeoverAnsweredAfterItsOwnDeadlineIsGivenUpWithoutServing() {
        var machine = Machine(configuration: configuration)
        _ = machine.start()
        let step = machine.handle(.tookOver(epoch: 5, sentAt: t0), now: at(7000))
        #expect(step == Machine.Step(effects: [.closeLockSession], next: .wait(until: at(7250))))
        #expect(machine.role == .standby)
    }

    @Test func aStandbyFindingTheLockHeldReadsTheLeaderAndFollowsALiveOne() {
        var machine = Machine(configuration: configuration)
        _ = machine.start()
        #expect(machine.handle(.lockBusy, now: t0) == Machine.Step(next: .readLeader))
        let step = machine.handle(.leaderObserved(leader(expired: false)), now: at(5))
        #expect(step == Machine.Step(effects: [.emit(.activeNodeChanged(node: "b", address: "b.example:7070"))], next: .wait(until: at(255))))
        #expect(machine.handle(.tick, now: at(255)) == Machine.Step(next: .tryTakeOver))
        // The same leader again: nothing new to announce.
        _ = machine.handle(.lockBusy, now: at(256))
        #expect(machine.handle(.leaderObserved(leader(expired: false)), now: at(260)).effects == [])
    }

    @Test func aStandbyTerminatesTheLockHolderOfAnExpiredLeaseAndPollsAgain() {
        var machine = Machine(configuration: configuration)
        _ = machine.start()
        _ = machine.handle(.lockBusy, now: t0)
        _ = machine.handle(.leaderObserved(leader(expired: false)), now: at(1))
        _ = machine.handle(.lockBusy, now: at(2))
        let step = machine.handle(.leaderObserved(leader(expired: true, holder: 99)), now: at(3))
        #expect(step == Machine.Step(effects: [.emit(.activeNodeChanged(node: nil, address: nil))], next: .terminateBackend(pid: 99)))
        #expect(machine.handle(.backendTerminated, now: at(4)) == Machine.Step(next: .wait(until: at(254))))
        #expect(machine.handle(.tick, now: at(254)) == Machine.Step(next: .tryTakeOver))
    }

    @Test func anExpiredLeaseWithNobodyHoldingTheLockIsLeftToTheNextPoll() {
        var machine = Machine(configuration: configuration)
        _ = machine.start()
        _ = machine.handle(.lockBusy, now: t0)
        #expect(machine.handle(.leaderObserved(leader(node: nil, expired: true, holder: nil)), now: at(1)) == Machine.Step(next: .wait(until: at(251))))
    }

    @Test func aStandbysFailedQueryStartsAFreshSession() {
        var machine = Machine(configuration: configuration)
        _ = machine.start()
        #expect(machine.handle(.queryFailed("boom"), now: t0) == Machine.Step(effects: [.closeLockSession], next: .wait(until: at(250))))
        #expect(machine.role == .standby)
    }

    @Test func aStandbyIgnoresInputsThatOnlyTheActiveNodeGets() {
        for input: Machine.Input in [.backendTerminated, .lockSessionClosed, .renewed(sentAt: t0), .renewalRefused] {
            var machine = Machine(configuration: configuration)
            _ = machine.start()
            #expect(machine.handle(input, now: t0) == Machine.Step(next: .wait(until: at(250))))
            #expect(machine.role == .standby)
        }
    }

    @Test func theActiveNodeRenewsWithTheTimeLeftAsItsLimitAndExtendsItsDeadline() {
        var machine = activeMachine()
        #expect(machine.handle(.tick, now: at(3010)) == Machine.Step(next: .renew(epoch: 5, timeout: .milliseconds(3990))))
        let step = machine.handle(.renewed(sentAt: at(3010)), now: at(3050))
        #expect(step == Machine.Step(next: .wait(until: at(6050))))
        #expect(machine.role == .active(epoch: 5, deadline: at(10_010)))
    }

    @Test func theWaitAfterASlowRenewalEndsAtTheDeadline() {
        var machine = activeMachine()
        _ = machine.handle(.tick, now: at(3010))
        // Sent at 3010 (deadline 10010), answered at 8000: the next renewal would be after the deadline.
        #expect(machine.handle(.renewed(sentAt: at(3010)), now: at(8000)) == Machine.Step(next: .wait(until: at(10_010))))
    }

    @Test func aRenewalAnsweredAfterItsOwnDeadlineLosesTheLeadership() {
        var machine = activeMachine()
        _ = machine.handle(.tick, now: at(3010))
        let step = machine.handle(.renewed(sentAt: t0), now: at(7000))
        #expect(step.effects.contains(.emit(.lostLeadership(.leaseDeadlinePassed))))
        #expect(machine.role == .standby)
    }

    @Test func theActiveNodeGivesUpWhenItsDeadlinePassesWithoutRenewal() {
        // E.g. the process was stopped and resumed: the late tick must not renew.
        var machine = activeMachine()
        let step = machine.handle(.tick, now: at(7000))
        #expect(step == Machine.Step(
            effects: [.closeLockSession, .emit(.lostLeadership(.leaseDeadlinePassed)), .emit(.activeNodeChanged(node: nil, address: nil))],
            next: .wait(until: at(7250))
        ))
        #expect(machine.role == .standby)
    }

    @Test(arguments: [
        (Machine.Input.renewalRefused, LeadershipLossReason.supplanted),
        (.queryFailed("timed out"), .renewalFailed("timed out")),
        (.lockSessionClosed, .lockSessionLost),
    ])
    func theActiveNodeGivesUpOnAFailedRefusedOrLostRenewal(input: Machine.Input, reason: LeadershipLossReason) {
        var machine = activeMachine()
        let step = machine.handle(input, now: at(3000))
        #expect(step.effects.first == .closeLockSession)
        #expect(step.effects.contains(.emit(.lostLeadership(reason))))
        #expect(step.next == .wait(until: at(3250)))
        #expect(machine.role == .standby)
    }

    @Test func aNodeThatLostTheLeadershipPollsAgainAsAStandby() {
        var machine = activeMachine()
        _ = machine.handle(.lockSessionClosed, now: at(3000))
        #expect(machine.handle(.tick, now: at(3250)) == Machine.Step(next: .tryTakeOver))
        let step = machine.handle(.tookOver(epoch: 6, sentAt: at(3250)), now: at(3260))
        #expect(step.effects.first == .emit(.becameActive(epoch: 6)))
        #expect(machine.role == .active(epoch: 6, deadline: at(10_250)))
    }

    @Test func theActiveNodeTreatsStandbyInputsAsATick() {
        for input: Machine.Input in [.tookOver(epoch: 9, sentAt: t0), .lockBusy, .leaderObserved(leader(expired: true)), .backendTerminated] {
            var machine = activeMachine()
            #expect(machine.handle(input, now: at(3000)) == Machine.Step(next: .renew(epoch: 5, timeout: .seconds(4))))
            var late = activeMachine()
            #expect(late.handle(input, now: at(7000)).effects.contains(.emit(.lostLeadership(.leaseDeadlinePassed))))
        }
    }

    @Test func theDefaultsAreATenSecondLeaseAndAQuarterSecondPoll() {
        let defaults = LeadershipConfiguration(node: "a", address: "a:1")
        #expect(defaults.lease == .seconds(10))
        #expect(defaults.pollInterval == .milliseconds(250))
        #expect(defaults.leaseMargin == .seconds(2))
        #expect(defaults.renewalInterval == .nanoseconds(3_333_333_333))
    }
}
