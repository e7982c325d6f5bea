import NIOCore
import SeatCore
@testable import SeatServer
import SeatProtocol
import Synchronization
import Testing

/// A standby's connections (protocol-spec.md 9b), on an `EmbeddedChannel`: Hello as on any
/// node, then `notActive` naming the active node for every request.
@Suite struct StandbyResponderTests {
    /// The active node as the election would publish it; the test changes it by hand.
    final class ActiveNode: Sendable {
        private let address: Mutex<String>
        init(_ address: String) { self.address = Mutex(address) }
        func set(_ new: String) { address.withLock { $0 = new } }
        var current: String { address.withLock { $0 } }
    }

    static func notActive(_ requestID: UInt32, naming address: String) -> ServerFrame {
        ServerFrame(requestID: requestID, message: .error(StandbyResponder.refusal(activeNode: address)))
    }

    static let acquire = ClientMessage.acquire(AcquireRequest(licenseKey: "L", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1"))

    @Test func helloIsAcceptedThenEveryRequestNamesTheCurrentActiveNode() throws {
        let active = ActiveNode("seat-b.example.com:7420")
        let harness = try HandlerHarness(answering: StandbyResponder(activeNode: { active.current }))
        try harness.sendHello()
        try harness.send(ClientFrame(requestID: 2, message: Self.acquire))
        let first = try harness.written()
        #expect(first == [Self.notActive(2, naming: "seat-b.example.com:7420")])
        guard case .error(let reply) = first.first?.message else { return }
        #expect(reply.code == .notActive)
        #expect(reply.detail == .activeNode(address: "seat-b.example.com:7420"))

        // A takeover: no node is active for a moment, then another one is.
        active.set("")
        try harness.send(ClientFrame(requestID: 3, message: .heartbeat(ConnectionFixtures.tokenA)))
        #expect(try harness.written() == [Self.notActive(3, naming: "")])
        active.set("[2001:db8::7]:7420")
        try harness.send(ClientFrame(requestID: 4, message: .validate(licenseKey: "L")))
        #expect(try harness.written() == [Self.notActive(4, naming: "[2001:db8::7]:7420")])
        #expect(harness.isOpen, "a standby keeps the connection; the client closes it when it moves on")
    }

    @Test func everySeatRequestGetsNotActive() throws {
        let harness = try HandlerHarness(answering: StandbyResponder(activeNode: { "seat-a:7420" }))
        try harness.sendHello()
        let seat = AcquireRequest(licenseKey: "L", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1")
        let requests: [ClientMessage] = [
            .acquire(seat), .acquireOrWait(seat), .borrow(BorrowRequest(seat: seat, durationMinutes: 60)),
            .heartbeat(ConnectionFixtures.tokenA), .release(ConnectionFixtures.tokenA), .validate(licenseKey: "L"),
        ]
        for (offset, message) in requests.enumerated() {
            try harness.send(ClientFrame(requestID: UInt32(10 + offset), message: message))
        }
        #expect(try harness.written() == requests.indices.map { Self.notActive(UInt32(10 + $0), naming: "seat-a:7420") })
    }

    /// A server that requires a key: Authenticate gets notActive (a client with a key learns
    /// it while connecting) and the connection stays open; a seat request before it is
    /// refused by the connection's rules as on any node.
    @Test func authenticateGetsNotActiveOnAServerThatRequiresAKey() throws {
        let harness = try HandlerHarness(.accessKeyRequired, answering: StandbyResponder(activeNode: { "seat-a:7420" }))
        try harness.sendHello()
        try harness.send(ClientFrame(requestID: 2, message: Self.acquire))
        #expect(HandlerHarness.errorCodes(try harness.written()) == [.authenticationRequired])
        try harness.send(ClientFrame(requestID: 3, message: .authenticate(accessKey: "seatd_0123456789abcdef_c2VjcmV0")))
        #expect(try harness.written() == [Self.notActive(3, naming: "seat-a:7420")])
        #expect(harness.isOpen)
    }
}
