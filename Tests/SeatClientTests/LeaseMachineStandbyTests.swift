@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// A standby's `notActive` (protocol-spec.md 9b): the lease moves on at once to the active
/// node it names (only if configured) or to the next server, keeps its session and
/// re-attaches; a round of standbys backs off like a round of unreachable servers.
@Suite struct LeaseMachineStandbyTests {
    /// A `notActive` refusal naming `address` ("" during a takeover).
    func standby(_ address: String) -> LeaseFailure {
        refusal(.notActive, .activeNode(address: address))
    }

    /// A machine holding `tokenA` on server 0 whose heartbeat at 2 s a standby answered
    /// naming `server`; connected there now.
    func redirectedMachine(servers: Int, to server: Int) -> Machine {
        var machine = holdingMachine(servers: servers)
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(standby("seat\(server).example:7420")), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .connect(server: server))
        _ = machine.handle(.connected(server: server, lease: testLease), now: at(2))
        return machine
    }

    @Test func aHeldLeaseFollowsTheNamedActiveNodeAtOnceAndReattachesByHeartbeat() {
        var machine = holdingMachine(servers: 3)
        #expect(machine.nextAction(now: at(2)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        let interrupted = machine.handle(.requestFailed(standby("seat2.example:7420")), now: at(2))
        #expect(interrupted == .reconnecting(LeaseInterruption(
            attempt: 1, cause: standby("seat2.example:7420"), retryIn: .zero, session: tokenA, lastConfirmedExpiry: wall(6)
        )))
        // No back-off, and straight to the named node (not the next in the list).
        #expect(machine.nextAction(now: at(2)) == .connect(server: 2))
        _ = machine.handle(.connected(server: 2, lease: testLease), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        var renewed = grant()
        renewed.leaseExpiresAt = wall(8)
        #expect(machine.handle(.heartbeatAccepted(accepted(expiresAt: 8)), now: at(2)) == .regained(renewed, .sameSession))
        #expect(machine.session == tokenA)
    }

    @Test func theNamedNodeMatchesItsHostWithoutRegardToCase() {
        var machine = holdingMachine(servers: 3)
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(standby("SEAT1.Example:7420")), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .connect(server: 1))
    }

    @Test(arguments: ["elsewhere.example:7420", "seat2.example:7421", "seat2.example", ""])
    func aNodeOutsideTheConfiguredServersIsNeverConnectedToTheNextServerIs(address: String) {
        var machine = holdingMachine(servers: 3)
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.requestFailed(standby(address)), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .connect(server: 1))
    }

    @Test func aMissingOrUnreadableDetailMeansNoNodeNamed() {
        for detail in [ErrorDetail.none, .raw([0xFF])] {
            var machine = holdingMachine(servers: 2)
            _ = machine.nextAction(now: at(2))
            _ = machine.handle(.requestFailed(refusal(.notActive, detail)), now: at(2))
            #expect(machine.nextAction(now: at(2)) == .connect(server: 1))
        }
    }

    /// With an access key, a standby refuses Authenticate: the connect fails, and the lease
    /// goes on as for an unreachable server, but to the named node.
    @Test func aStandbyRefusingAuthenticateWhileStartingLeadsToTheActiveNode() {
        var machine = makeMachine(servers: 3)
        #expect(machine.nextAction(now: at(0)) == .connect(server: 0))
        #expect(machine.handle(.connectFailed(server: 0, standby("seat2.example:7420")), now: at(0)) == nil)
        #expect(machine.nextAction(now: at(0)) == .connect(server: 2))
        _ = machine.handle(.connected(server: 2, lease: testLease), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .acquire)
        #expect(machine.handle(.acquired(grant()), now: at(0)) == .held(grant()))
    }

    @Test func aStandbyAnsweringTheFirstAcquireLeadsToTheActiveNode() {
        var machine = makeMachine(servers: 2)
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .acquire)
        #expect(machine.handle(.requestFailed(standby("seat1.example:7420")), now: at(0)) == nil)
        #expect(machine.start == .pending, "a standby is no refusal of the seat")
        #expect(machine.nextAction(now: at(0)) == .connect(server: 1))
        _ = machine.handle(.connected(server: 1, lease: testLease), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .acquire)
    }

    @Test func aWaitingFirstAcquireAsksAgainOnTheActiveNode() {
        var machine = makeMachine(servers: 2, waitForSeat: .seconds(60))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .acquireOrWait)
        _ = machine.handle(.requestFailed(standby("seat1.example:7420")), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .connect(server: 1))
        _ = machine.handle(.connected(server: 1, lease: testLease), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .acquireOrWait)
    }

    /// During a takeover every node says notActive with no address: one round at once, then
    /// the normal back-off (1 s, 2 s, ...), never a spin.
    @Test func aTakeoverBacksOffAfterEachRoundOfStandbys() {
        var machine = makeMachine(servers: 3, waitForSeat: .seconds(60))
        var now = 0.0
        for (round, backoff) in [1.0, 2.0, 4.0].enumerated() {
            for server in 0..<3 {
                #expect(machine.nextAction(now: at(now)) == .connect(server: server), "round \(round)")
                _ = machine.handle(.connected(server: server, lease: testLease), now: at(now))
                #expect(machine.nextAction(now: at(now)) == .acquireOrWait)
                #expect(machine.handle(.requestFailed(standby("")), now: at(now)) == nil)
            }
            #expect(machine.nextAction(now: at(now)) == .sleep(until: .milliseconds(Int64((now + backoff) * 1000))), "round \(round)")
            now += backoff
        }
        #expect(machine.start == .pending)
        // The takeover is over: the new active node grants.
        #expect(machine.nextAction(now: at(now)) == .connect(server: 0))
        _ = machine.handle(.connectFailed(server: 0, standby("seat1.example:7420")), now: at(now))
        #expect(machine.nextAction(now: at(now)) == .connect(server: 1))
        _ = machine.handle(.connected(server: 1, lease: testLease), now: at(now))
        _ = machine.nextAction(now: at(now))
        #expect(machine.handle(.acquired(grant()), now: at(now)) == .held(grant()))
    }

    /// Stale views during a takeover: each standby names another. Each server is tried at
    /// most once per round, so the round ends and the lease backs off.
    @Test func standbysNamingEachOtherCannotMakeTheLeaseSpin() {
        var machine = redirectedMachine(servers: 3, to: 1)
        #expect(machine.nextAction(now: at(2)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        // Back to 0? Already tried: the next untried server instead.
        _ = machine.handle(.requestFailed(standby("seat0.example:7420")), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .connect(server: 2))
        _ = machine.handle(.connected(server: 2, lease: testLease), now: at(2))
        _ = machine.nextAction(now: at(2))
        let backedOff = machine.handle(.requestFailed(standby("seat1.example:7420")), now: at(2))
        #expect(backedOff == .reconnecting(LeaseInterruption(
            attempt: 1, cause: standby("seat1.example:7420"), retryIn: .seconds(1), session: tokenA, lastConfirmedExpiry: wall(6)
        )))
        #expect(machine.nextAction(now: at(2)) == .sleep(until: .seconds(3)))
        // A new round may try every server again, from the first.
        #expect(machine.nextAction(now: at(3)) == .connect(server: 0))
    }

    /// A round mixes unreachable servers and standbys: each is tried once.
    @Test func unreachableServersAndStandbysShareOneRound() {
        var machine = makeMachine(servers: 3, waitForSeat: .seconds(60))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connectFailed(server: 0, standby("seat2.example:7420")), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .connect(server: 2))
        // The named node is down: the one server left, although it comes before it.
        _ = machine.handle(.connectFailed(server: 2, .unreachable("down")), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .connect(server: 1))
        _ = machine.handle(.connectFailed(server: 1, standby("seat2.example:7420")), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .sleep(until: .seconds(1)))
    }

    @Test func aUsefulAnswerStartsANewRound() {
        var machine = redirectedMachine(servers: 2, to: 1)
        _ = machine.nextAction(now: at(2))
        _ = machine.handle(.heartbeatAccepted(accepted(expiresAt: 8)), now: at(2))
        // Later the roles swap back: server 0, tried in the previous round, is active again.
        #expect(machine.nextAction(now: at(4)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        _ = machine.handle(.requestFailed(standby("seat0.example:7420")), now: at(4))
        #expect(machine.nextAction(now: at(4)) == .connect(server: 0))
    }

    @Test func withoutAWaitAStartThatFindsOnlyStandbysFailsWithTheLastRefusal() {
        var machine = makeMachine(servers: 2)
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connectFailed(server: 0, standby("")), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .connect(server: 1))
        _ = machine.handle(.connectFailed(server: 1, standby("")), now: at(0))
        #expect(machine.start == .failed(standby("")))
        #expect(machine.nextAction(now: at(0)) == .finish)
    }

    @Test func aSingleServerThatIsAStandbyBacksOff() {
        var machine = holdingMachine(servers: 1)
        _ = machine.nextAction(now: at(2))
        guard case .reconnecting(let interruption) = machine.handle(.requestFailed(standby("seat0.example:7420")), now: at(2)) else {
            Issue.record("not reconnecting")
            return
        }
        #expect(interruption.retryIn == .seconds(1))
        #expect(machine.nextAction(now: at(2)) == .sleep(until: .seconds(3)))
    }
}
