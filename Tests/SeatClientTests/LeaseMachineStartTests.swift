@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// The first acquire: server order, fail-fast, waiting for a seat.
@Suite struct LeaseMachineStartTests {
    @Test func acquiresThenHeartbeatsAtTheAdvisedInterval() {
        var machine = makeMachine()
        #expect(machine.nextAction(now: at(0)) == .connect(server: 0))
        #expect(machine.handle(.connected(server: 0, lease: testLease), now: at(0.1)) == nil)
        #expect(machine.nextAction(now: at(0.1)) == .acquire)
        #expect(machine.handle(.acquired(grant(intervalSeconds: 2)), now: at(0.2)) == .held(grant(intervalSeconds: 2)))
        #expect(machine.start == .granted(grant(intervalSeconds: 2)))
        #expect(machine.nextAction(now: at(0.2)) == .sleep(until: .milliseconds(2200)))
        #expect(machine.nextAction(now: at(2.2)) == .heartbeat(tokenA, timeout: testRequestTimeout))
        // A heartbeat changes no state, but the server's new interval is followed.
        #expect(machine.handle(.heartbeatAccepted(accepted(expiresAt: 8, intervalSeconds: 3)), now: at(2.3)) == nil)
        #expect(machine.leaseExpiresAt == wall(8))
        #expect(machine.nextAction(now: at(2.3)) == .sleep(until: .milliseconds(5300)))
        // Waking early (e.g. a spurious wake-up) just sleeps again.
        #expect(machine.handle(.slept, now: at(4)) == nil)
        #expect(machine.nextAction(now: at(4)) == .sleep(until: .milliseconds(5300)))
    }

    @Test func triesEveryServerInOrderBeforeBackingOff() {
        var machine = makeMachine(servers: 3, waitForSeat: .seconds(60))
        #expect(machine.nextAction(now: at(0)) == .connect(server: 0))
        #expect(machine.handle(.connectFailed(server: 0, .unreachable("a")), now: at(0)) == nil)
        #expect(machine.nextAction(now: at(0)) == .connect(server: 1))
        #expect(machine.handle(.connectFailed(server: 1, .unreachable("b")), now: at(0)) == nil)
        #expect(machine.nextAction(now: at(0)) == .connect(server: 2))
        #expect(machine.handle(.connectFailed(server: 2, .unreachable("c")), now: at(0)) == nil)
        // A whole round failed: back off, then start again from the preferred server.
        #expect(machine.nextAction(now: at(0)) == .sleep(until: .seconds(1)))
        #expect(machine.nextAction(now: at(1)) == .connect(server: 0))
        #expect(machine.handle(.connectFailed(server: 0, .unreachable("a")), now: at(1)) == nil)
        #expect(machine.handle(.connected(server: 1, lease: testLease), now: at(1)) == nil)
        #expect(machine.nextAction(now: at(1)) == .acquireOrWait)
        #expect(machine.start == .pending)
    }

    @Test func failsFastWhenNoServerAnswersAndThereIsNoWait() {
        var machine = makeMachine(servers: 2)
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connectFailed(server: 0, .unreachable("a")), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .connect(server: 1))
        _ = machine.handle(.connectFailed(server: 1, .unreachable("b")), now: at(0.5))
        #expect(machine.start == .failed(.unreachable("b")))
        #expect(machine.isFinished)
        #expect(machine.nextAction(now: at(0.5)) == .finish)
        #expect(machine.state == nil)
    }

    @Test(arguments: [ErrorCode.noSeats, .unknownLicense, .licenseExpired, .licenseSuspended, .licenseRevoked, .invalidField])
    func refusalWithoutWaitFailsTheStart(code: ErrorCode) {
        var machine = makeMachine()
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        _ = machine.nextAction(now: at(0))
        #expect(machine.handle(.requestFailed(refusal(code)), now: at(0)) == nil)
        #expect(machine.start == .failed(refusal(code)))
        #expect(machine.nextAction(now: at(0)) == .finish)
    }

    @Test func licenseRefusalFailsTheStartEvenWhenWaiting() {
        var machine = makeMachine(waitForSeat: .seconds(60))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.requestFailed(refusal(.licenseSuspended)), now: at(0))
        #expect(machine.start == .failed(refusal(.licenseSuspended)))
    }

    /// A server refusing the wait (its queue is full) answers noSeats: polled as before.
    @Test func waitingForASeatPollsWithBackoffButNeverPastNextFreeAt() {
        var machine = makeMachine(waitForSeat: .seconds(10))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .acquireOrWait)
        // A seat frees at 0.5 s, sooner than the 1 s backoff: retry just after it.
        _ = machine.handle(.requestFailed(refusal(.noSeats, .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: wall(0.5)))), now: at(0))
        #expect(machine.nextAction(now: at(0)) == .sleep(until: .milliseconds(550)))
        #expect(machine.nextAction(now: at(0.55)) == .acquireOrWait)
        // A seat frees only at 100 s: poll with backoff (2 s), since a release frees one sooner.
        _ = machine.handle(.requestFailed(refusal(.noSeats, .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: wall(100)))), now: at(0.55))
        #expect(machine.nextAction(now: at(0.55)) == .sleep(until: .milliseconds(2550)))
        #expect(machine.nextAction(now: at(2.55)) == .acquireOrWait)
        _ = machine.handle(.requestFailed(refusal(.noSeats, .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: wall(100)))), now: at(2.55))
        #expect(machine.nextAction(now: at(2.55)) == .sleep(until: .milliseconds(6550)))
        _ = machine.nextAction(now: at(6.55))
        // The backoff (4 s) would pass the 10 s deadline: one last try exactly at it.
        _ = machine.handle(.requestFailed(refusal(.noSeats, .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: wall(100)))), now: at(6.55))
        #expect(machine.nextAction(now: at(6.55)) == .sleep(until: .seconds(10)))
        #expect(machine.nextAction(now: at(10)) == .acquireOrWait)
        #expect(machine.start == .pending)
        _ = machine.handle(.requestFailed(refusal(.noSeats, .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: wall(100)))), now: at(10))
        #expect(machine.start == .failed(refusal(.noSeats, .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: wall(100)))))
        #expect(machine.nextAction(now: at(10)) == .finish)
    }

    @Test func aSeatFreedWhileWaitingIsHeld() {
        var machine = makeMachine(waitForSeat: .seconds(10))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.requestFailed(refusal(.noSeats, .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: wall(0.2)))), now: at(0))
        // The holder's expiry is already past when we learn of it: still poll no faster than the minimum.
        #expect(machine.nextAction(now: at(0)) == .sleep(until: .milliseconds(250)))
        _ = machine.nextAction(now: at(0.3))
        #expect(machine.handle(.acquired(grant()), now: at(0.3)) == .held(grant()))
    }

    @Test func aGrantLostWithItsConnectionIsFetchedAgainByTheIdempotentAcquire() {
        var machine = makeMachine(waitForSeat: .seconds(10))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        _ = machine.nextAction(now: at(0))
        #expect(machine.handle(.requestFailed(.timedOut), now: at(1)) == nil)
        #expect(machine.nextAction(now: at(1)) == .sleep(until: .seconds(2)))
        #expect(machine.nextAction(now: at(2)) == .connect(server: 0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(2))
        #expect(machine.nextAction(now: at(2)) == .acquireOrWait)
        #expect(machine.handle(.acquired(grant(reattached: true)), now: at(2)) == .held(grant(reattached: true)))
    }
}
