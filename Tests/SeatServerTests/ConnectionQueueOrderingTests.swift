import NIOCore
import SeatCore
@testable import SeatServer
import SeatProtocol
import Testing

/// The connection rules for waiting acquires (protocol-spec.md 9a): AcquireOrWait is a seat
/// request like Acquire, and news of a wait never overtakes the reply to an acquire.
@Suite struct ConnectionQueueOrderingTests {
    typealias Machine = ConnectionStateMachine
    typealias Fixtures = ConnectionFixtures
    let start = ConnectionFixtures.start

    static let waitingAcquire = ClientMessage.acquireOrWait(AcquireRequest(licenseKey: "L", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1"))
    static let queued = ServerMessage.queued(QueuePlace(position: 2, waiting: 2, seatsTotal: 1, seatsInUse: 1))
    static let moved = ServerMessage.queuePosition(QueuePositionNotice(waitID: 5, place: QueuePlace(position: 1, waiting: 1, seatsTotal: 1, seatsInUse: 1)))
    static let granted = ServerMessage.queueGranted(QueueGrantNotice(waitID: 5, grant: AcquireGrant(
        token: ConnectionFixtures.tokenA, leaseExpiresAt: Timestamp(millisecondsSinceEpoch: 1_000), heartbeatIntervalMilliseconds: 300,
        seatsTotal: 1, seatsInUse: 1, reattached: false, tier: "", licenseExpiresAt: nil, features: [:]
    )))
    static let ended = ServerMessage.waitEnded(WaitEndedNotice(waitID: 5, reason: .lapsed, message: "lapsed"))

    func openMachine(_ admission: Machine.Admission = .anonymousTenant) -> Machine {
        var machine = Machine(configuration: Fixtures.configuration(admission), now: start)
        _ = machine.opened()
        _ = machine.tlsEstablished()
        _ = machine.received(.success(Fixtures.hello()), now: start)
        return machine
    }

    @Test func aWaitingAcquireIsDispatchedWithItsRequestIDAndAnsweredQueued() {
        var machine = openMachine()
        #expect(machine.received(.success(ClientFrame(requestID: 5, message: Self.waitingAcquire)), now: start) == [.dispatch(Self.waitingAcquire)])
        #expect(machine.inFlightRequestID == 5)
        #expect(machine.answered(RequestOutcome(reply: Self.queued), now: start).first == Fixtures.write(5, Self.queued))
        #expect(machine.inFlightRequestID == nil)
    }

    @Test func aWaitingAcquireNeedsAuthenticationLikeAnAcquire() {
        var machine = openMachine(.accessKeyRequired)
        let actions = machine.received(.success(ClientFrame(requestID: 5, message: Self.waitingAcquire)), now: start)
        #expect(actions.count == 1 && Fixtures.errorCode(actions[0]) == .authenticationRequired)
    }

    @Test(arguments: [Self.moved, Self.granted, Self.ended])
    func newsOfAWaitIsHeldBehindTheQueuedReply(push: ServerMessage) {
        var machine = openMachine()
        _ = machine.received(.success(ClientFrame(requestID: 5, message: Self.waitingAcquire)), now: start)
        #expect(machine.push(push) == [], "the reply to the AcquireOrWait comes first")
        #expect(machine.answered(RequestOutcome(reply: Self.queued), now: start).prefix(2) == [Fixtures.write(5, Self.queued), Fixtures.write(0, push)])
    }

    @Test func newsOfAWaitIsSpokenInTheConnectionsVersion() {
        var overage = AcquireGrant(
            token: ConnectionFixtures.tokenA, leaseExpiresAt: Timestamp(millisecondsSinceEpoch: 1_000), heartbeatIntervalMilliseconds: 300,
            seatsTotal: 1, seatsInUse: 2, reattached: false, tier: "", licenseExpiresAt: nil, features: [:],
            overage: GrantOverage(overageSeats: 1, isOverage: true)
        )
        let push = ServerMessage.queueGranted(QueueGrantNotice(waitID: 5, grant: overage))
        var versionOne = openMachine()
        overage.overage = nil
        overage.seatsInUse = 1
        #expect(versionOne.push(push) == [Fixtures.write(0, .queueGranted(QueueGrantNotice(waitID: 5, grant: overage)))])
        var versionTwo = Machine(configuration: Fixtures.configuration(.anonymousTenant), now: start)
        _ = versionTwo.opened()
        _ = versionTwo.tlsEstablished()
        _ = versionTwo.received(.success(Fixtures.hello(1, 2)), now: start)
        #expect(versionTwo.push(push) == [Fixtures.write(0, push)])
    }

    @Test func newsOfAWaitIsHeldBehindAPlainAcquireToo() {
        var machine = openMachine()
        let acquire = Fixtures.requests[1]
        _ = machine.received(.success(ClientFrame(requestID: 6, message: acquire)), now: start)
        #expect(machine.push(Self.granted) == [])
        let reply = ServerMessage.error(ErrorReply(code: .noSeats, message: "full"))
        #expect(machine.answered(RequestOutcome(reply: reply), now: start).prefix(2) == [Fixtures.write(6, reply), Fixtures.write(0, Self.granted)])
    }

    @Test func newsOfAWaitGoesOutAtOnceWhenNoAcquireIsInFlight() {
        var machine = openMachine()
        #expect(machine.push(Self.moved) == [Fixtures.write(0, Self.moved)])
        _ = machine.received(.success(ClientFrame(requestID: 7, message: .heartbeat(Fixtures.tokenB))), now: start)
        #expect(machine.push(Self.granted) == [Fixtures.write(0, Self.granted)], "a heartbeat's reply concerns no wait")
    }

    @Test func heldNewsKeepsItsOrder() {
        var machine = openMachine()
        _ = machine.received(.success(ClientFrame(requestID: 5, message: Self.waitingAcquire)), now: start)
        #expect(machine.push(Self.moved) == [])
        #expect(machine.push(Self.granted) == [])
        let actions = machine.answered(RequestOutcome(reply: Self.queued), now: start)
        #expect(actions.prefix(3) == [Fixtures.write(5, Self.queued), Fixtures.write(0, Self.moved), Fixtures.write(0, Self.granted)])
    }
}
