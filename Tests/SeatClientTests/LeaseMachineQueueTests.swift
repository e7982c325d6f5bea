@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// The first acquire of a lease allowed to wait: it waits in the server's queue, keeps its
/// place by asking again, takes the pushed seat, and falls back to polling without a queue.
@Suite struct LeaseMachineQueueTests {
    static let place = QueuePlace(position: 2, waiting: 2, seatsTotal: 1, seatsInUse: 1)

    /// Connected at 0 with a 6 s lease, the AcquireOrWait answered Queued at 0.1.
    func queuedMachine(waitForSeat: Duration = .seconds(30)) -> Machine {
        var machine = makeMachine(waitForSeat: waitForSeat)
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .acquireOrWait)
        #expect(machine.handle(.queued(Self.place), now: at(0.1)) == nil)
        return machine
    }

    @Test func aQueuedLeaseAsksForItsPlaceAgainWithinTheLease() {
        var machine = queuedMachine()
        let refresh = Duration.milliseconds(100) + testLease / 3
        #expect(machine.nextAction(now: at(0.1)) == .sleep(until: refresh))
        #expect(machine.handle(.queueNews(.moved(QueuePositionNotice(waitID: 2, place: QueuePlace(position: 1, waiting: 1, seatsTotal: 1, seatsInUse: 1)))), now: at(1)) == nil)
        #expect(machine.nextAction(now: at(1)) == .sleep(until: refresh), "moving up changes nothing for the machine")
        #expect(machine.nextAction(now: LeaseMoment(monotonic: refresh, wall: wall(2))) == .acquireOrWait)
        #expect(machine.start == .pending)
    }

    @Test func thePushedSeatIsHeldAndHeartbeated() {
        var machine = queuedMachine()
        let pushed = grant(intervalSeconds: 2)
        #expect(machine.handle(.queueNews(.granted(QueueGrantNotice(waitID: 2, grant: pushed))), now: at(1)) == .held(pushed))
        #expect(machine.start == .granted(pushed))
        #expect(machine.session == tokenA)
        #expect(machine.nextAction(now: at(1)) == .sleep(until: .seconds(3)))
        #expect(machine.nextAction(now: at(3)) == .heartbeat(tokenA, timeout: testRequestTimeout))
    }

    @Test func aGrantPushedAfterTheSeatCameAnotherWayIsIgnored() {
        var machine = queuedMachine()
        _ = machine.handle(.acquired(grant()), now: at(1))
        #expect(machine.handle(.queueNews(.granted(QueueGrantNotice(waitID: 2, grant: grant()))), now: at(1.1)) == nil)
        #expect(machine.start == .granted(grant()))
    }

    @Test func theWaitEndsWithoutASeatAtTheDeadline() {
        var machine = queuedMachine(waitForSeat: .seconds(1))
        #expect(machine.nextAction(now: at(0.1)) == .sleep(until: .seconds(1)))
        #expect(machine.nextAction(now: at(1)) == .finish)
        #expect(machine.start == .failed(.server(ErrorReply(code: .noSeats, message: "no seat became free within the wait"))))
    }

    @Test func aLapsedPlaceIsTakenAgainAtOnceAndARefusalEndsTheStart() {
        var machine = queuedMachine()
        #expect(machine.handle(.queueNews(.ended(WaitEndedNotice(waitID: 2, reason: .superseded, message: "moved"))), now: at(1)) == nil)
        #expect(machine.nextAction(now: at(1)) == .sleep(until: .milliseconds(100) + testLease / 3), "its own ask moved the place")
        #expect(machine.handle(.queueNews(.ended(WaitEndedNotice(waitID: 2, reason: .lapsed, message: "lapsed"))), now: at(1)) == nil)
        #expect(machine.nextAction(now: at(1)) == .acquireOrWait)
        _ = machine.handle(.queued(Self.place), now: at(1.1))
        let revoked = WaitEndedNotice(waitID: 3, reason: .refused, code: ErrorCode.licenseRevoked.rawValue, message: "the license has been revoked")
        _ = machine.handle(.queueNews(.ended(revoked)), now: at(2))
        #expect(machine.start == .failed(.server(ErrorReply(code: .licenseRevoked, message: "the license has been revoked"))))
    }

    @Test func aLostConnectionQueuesAgainOnTheNext() {
        var machine = queuedMachine()
        _ = machine.handle(.requestFailed(.connectionLost("reset")), now: at(1))
        #expect(machine.nextAction(now: at(1)) == .sleep(until: .seconds(2)))
        #expect(machine.nextAction(now: at(2)) == .connect(server: 0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .acquireOrWait)
    }

    @Test func aServerWithoutAQueueIsPolledWithAcquire() {
        var machine = makeMachine(waitForSeat: .seconds(30))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .acquireOrWait)
        #expect(machine.handle(.requestFailed(refusal(.unknownMessageType)), now: at(0.1)) == nil)
        #expect(machine.nextAction(now: at(0.1)) == .acquire)
        #expect(machine.start == .pending)
    }

    @Test func withoutAWaitTheFirstAcquireDoesNotQueue() {
        var machine = makeMachine()
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .acquire)
    }
}
