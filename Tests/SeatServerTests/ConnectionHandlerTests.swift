import Logging
import NIOCore
import NIOEmbedded
import NIOTLS
import SeatCore
@testable import SeatServer
import SeatProtocol
import Synchronization
import Testing

/// A responder that answers when the test says so (or at once), recording what it was asked.
final class CommandedResponder: RequestResponder {
    struct Request {
        var message: ClientMessage
        var requestID: UInt32 = 0
        var link: ConnectionLink
        var completion: @Sendable (RequestOutcome) -> Void
    }
    private let requests = Mutex<[Request]>([])
    private let immediateReply: ServerMessage?

    /// With `immediateReply`, every request is answered with it before `respond` returns.
    init(immediateReply: ServerMessage? = nil) {
        self.immediateReply = immediateReply
    }

    func respond(to message: ClientMessage, requestID: UInt32, on link: ConnectionLink, completion: @escaping @Sendable (RequestOutcome) -> Void) {
        if let immediateReply {
            requests.withLock { $0.append(Request(message: message, requestID: requestID, link: link, completion: { _ in })) }
            completion(RequestOutcome(reply: immediateReply))
            return
        }
        requests.withLock { $0.append(Request(message: message, requestID: requestID, link: link, completion: completion)) }
    }

    var received: [ClientMessage] { requests.withLock { $0.map(\.message) } }
    var receivedRequestIDs: [UInt32] { requests.withLock { $0.map(\.requestID) } }
    /// Connections the handler reported closed.
    let closedLinks = Mutex<[ConnectionLink]>([])

    func connectionClosed(_ link: ConnectionLink) {
        closedLinks.withLock { $0.append(link) }
    }
    var link: ConnectionLink? { requests.withLock { $0.first?.link } }

    func answer(_ index: Int, _ outcome: RequestOutcome) {
        let completion = requests.withLock { $0[index].completion }
        completion(outcome)
    }
}

/// Passes everything on and counts the reads the handler lets through to the socket.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0
    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

/// A `ConnectionHandler` on an `EmbeddedChannel`: bytes in, frames out, time by hand.
struct HandlerHarness {
    let channel = EmbeddedChannel()
    let responder: CommandedResponder
    let readCounter = ReadCounter()
    var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

    /// `answering` replaces `responder` as the connection's responder (then `responder` sees nothing).
    init(
        _ admission: ConnectionStateMachine.Admission = .anonymousTenant, usesTLS: Bool = false, budget: Int = 16,
        responder: CommandedResponder = CommandedResponder(), answering: (any RequestResponder)? = nil
    ) throws {
        self.responder = responder
        let handler = ConnectionHandler(
            configuration: ConnectionFixtures.configuration(admission, usesTLS: usesTLS, budget: budget),
            principal: admission == .anonymousTenant ? .anonymous(tenant: "default") : nil,
            maximumFrameBytes: 4_096,
            services: ConnectionHandler.Services(responder: answering ?? responder, directory: ConnectionDirectory(), logger: Logger(label: "test")),
            now: channel.embeddedEventLoop.now
        )
        try channel.pipeline.syncOperations.addHandler(readCounter)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7420)).wait()
    }

    func send(_ frames: ClientFrame...) throws {
        var buffer = channel.allocator.buffer(capacity: 256)
        for frame in frames { frame.encode(into: &buffer) }
        try channel.writeInbound(buffer)
    }

    func sendHello() throws {
        try send(ConnectionFixtures.hello())
        #expect(try written() == [ServerFrame(requestID: 1, message: ConnectionFixtures.helloAccepted)])
    }

    /// Every frame written since the last call.
    func written() throws -> [ServerFrame] {
        var frames: [ServerFrame] = []
        var decoder = FrameDecoder()
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            while let body = try decoder.decode(buffer: &buffer) {
                frames.append(try ServerFrame(decoding: body))
            }
        }
        return frames
    }

    var isOpen: Bool { channel.isActive }

    static func errorCodes(_ frames: [ServerFrame]) -> [ErrorCode?] {
        frames.map { if case .error(let reply) = $0.message { reply.code } else { nil } }
    }
}

@Suite struct ConnectionHandlerTests {
    let validated = RequestOutcome(reply: ConnectionFixtures.validated)

    func validate(_ id: UInt32, _ key: String = "L") -> ClientFrame {
        ClientFrame(requestID: id, message: .validate(licenseKey: key))
    }

    // MARK: Deadlines, each closing exactly at its time

    @Test func aSilentConnectionIsClosedAtTheHandshakeDeadline() throws {
        let harness = try HandlerHarness(usesTLS: true)
        harness.loop.advanceTime(by: .seconds(10) - .nanoseconds(1))
        #expect(harness.isOpen)
        harness.loop.advanceTime(by: .nanoseconds(1))
        #expect(!harness.isOpen)
        #expect(try harness.written() == [], "no frame can be sent before TLS")
    }

    @Test func aConnectionWithTLSButNoHelloIsToldAtTheHandshakeDeadline() throws {
        let harness = try HandlerHarness(usesTLS: true)
        harness.channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        harness.loop.advanceTime(by: .seconds(10) - .nanoseconds(1))
        #expect(harness.isOpen)
        harness.loop.advanceTime(by: .nanoseconds(1))
        #expect(try harness.written() == [ServerFrame(requestID: 0, message: .error(ConnectionStateMachine.handshakeTimeoutError))])
        #expect(!harness.isOpen)
    }

    @Test func aConnectionThatNeverAuthenticatesIsClosedAtTheAuthenticationDeadline() throws {
        let harness = try HandlerHarness(.accessKeyRequired)
        try harness.sendHello()
        try harness.send(validate(2))
        #expect(HandlerHarness.errorCodes(try harness.written()) == [.authenticationRequired])
        harness.loop.advanceTime(by: .seconds(20) - .nanoseconds(1))
        #expect(harness.isOpen)
        harness.loop.advanceTime(by: .nanoseconds(1))
        #expect(try harness.written() == [ServerFrame(requestID: 0, message: .error(ConnectionStateMachine.authenticationTimeoutError))])
        #expect(!harness.isOpen)
    }

    @Test func anAuthenticatedConnectionOutlivesTheAuthenticationDeadline() throws {
        let harness = try HandlerHarness(.accessKeyRequired)
        try harness.sendHello()
        try harness.send(ClientFrame(requestID: 2, message: .authenticate(accessKey: "k")))
        harness.responder.answer(0, ConnectionFixtures.authenticated(.client))
        #expect(try harness.written().map(\.requestID) == [2])
        harness.loop.advanceTime(by: .seconds(899))
        #expect(harness.isOpen)
    }

    @Test func anIdleConnectionIsToldAndClosedAtTheIdleDeadline() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        harness.loop.advanceTime(by: .seconds(100))
        try harness.send(validate(2))
        harness.responder.answer(0, validated)
        #expect(try harness.written().map(\.requestID) == [2])
        // Idle counts from the reply, written at 100 s.
        harness.loop.advanceTime(by: .seconds(900) - .nanoseconds(1))
        #expect(harness.isOpen)
        harness.loop.advanceTime(by: .nanoseconds(1))
        #expect(try harness.written() == [ServerFrame(requestID: 0, message: .error(ConnectionStateMachine.idleTimeoutError))])
        #expect(!harness.isOpen)
    }

    // MARK: Requests

    @Test func pipelinedRequestsReachTheResponderOneAtATimeAndAreAnsweredInOrder() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        try harness.send(validate(2, "A"), validate(3, "B"), validate(4, "C"))
        #expect(harness.responder.received == [.validate(licenseKey: "A")])
        harness.responder.answer(0, RequestOutcome(reply: .error(ErrorReply(code: .unknownLicense, message: "A"))))
        #expect(harness.responder.received.count == 2)
        harness.responder.answer(1, validated)
        harness.responder.answer(2, validated)
        #expect(try harness.written().map(\.requestID) == [2, 3, 4])
    }

    @Test func aFrameSplitAcrossReadsIsPutBackTogether() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        var bytes = ByteBuffer()
        validate(2, "SPLIT").encode(into: &bytes)
        validate(3, "NEXT").encode(into: &bytes)
        try harness.channel.writeInbound(bytes.readSlice(length: 3)!)
        try harness.channel.writeInbound(bytes.readSlice(length: 9)!)
        #expect(harness.responder.received == [])
        try harness.channel.writeInbound(bytes)
        #expect(harness.responder.received == [.validate(licenseKey: "SPLIT")])
        harness.responder.answer(0, validated)
        harness.responder.answer(1, validated)
        #expect(harness.responder.received.last == .validate(licenseKey: "NEXT"))
        #expect(try harness.written().map(\.requestID) == [2, 3])
    }

    @Test func aResponderThatAnswersAtOnceKeepsTheOrderToo() throws {
        let harness = try HandlerHarness(responder: CommandedResponder(immediateReply: ConnectionFixtures.validated))
        try harness.sendHello()
        try harness.send(validate(2), ClientFrame(requestID: 3, message: .hello(Hello(clientName: "again"))), validate(4))
        let frames = try harness.written()
        #expect(frames.map(\.requestID) == [2, 3, 4])
        #expect(HandlerHarness.errorCodes(frames) == [nil, .unexpectedMessage, nil])
    }

    @Test func aFullQueueStopsReadingUntilItDrains() throws {
        let harness = try HandlerHarness(budget: 2)
        try harness.sendHello()
        try harness.send(validate(2), validate(3), validate(4), validate(5))
        let readsBefore = harness.readCounter.reads
        harness.channel.read()
        #expect(harness.readCounter.reads == readsBefore, "stopped: the read waits")
        harness.responder.answer(0, validated)
        #expect(harness.readCounter.reads == readsBefore, "frames still buffered fill the queue again")
        harness.responder.answer(1, validated)
        #expect(harness.readCounter.reads == readsBefore + 1, "below the budget with nothing buffered: the waiting read goes through")
        harness.responder.answer(2, validated)
        harness.responder.answer(3, validated)
        #expect(try harness.written().map(\.requestID) == [2, 3, 4, 5])
    }

    @Test func anUnwritableChannelIsNotReadFromAndGetsNoNewWork() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        harness.channel.isWritable = false
        harness.channel.pipeline.fireChannelWritabilityChanged()
        try harness.send(validate(2))
        #expect(harness.responder.received == [])
        let readsBefore = harness.readCounter.reads
        harness.channel.read()
        #expect(harness.readCounter.reads == readsBefore)
        harness.channel.isWritable = true
        harness.channel.pipeline.fireChannelWritabilityChanged()
        #expect(harness.responder.received == [.validate(licenseKey: "L")])
        #expect(harness.readCounter.reads == readsBefore + 1)
    }

    /// A socket whose peer stopped reading: writes flushed to it are kept, their promises
    /// pending, until `drain`.
    final class StuckSocket: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var stuck = false
        private(set) var batches = 0
        private var held: [(NIOAny, EventLoopPromise<Void>?)] = []

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            guard stuck else { return context.write(data, promise: promise) }
            batches += 1
            held.append((data, promise))
        }

        func flush(context: ChannelHandlerContext) {
            if !stuck { context.flush() }
        }

        func drain(_ context: ChannelHandlerContext) {
            stuck = false
            let writes = held
            held = []
            for (data, promise) in writes { context.write(data, promise: promise) }
            context.flush()
        }
    }

    @Test func repliesWaitingBehindABatchNotYetInTheSocketGoOutTogether() throws {
        let harness = try HandlerHarness()
        let socket = StuckSocket()
        try harness.channel.pipeline.syncOperations.addHandler(socket, position: .first)
        try harness.sendHello()
        socket.stuck = true
        try harness.send(validate(2), validate(3), validate(4))
        for index in 0..<3 { harness.responder.answer(index, validated) }
        #expect(socket.batches == 1, "the replies to 3 and 4 wait behind the one to 2")
        let context = try harness.channel.pipeline.syncOperations.context(handler: socket)
        socket.drain(context)
        #expect(socket.batches == 1, "drained, the two went out as one write")
        #expect(try harness.written().map(\.requestID) == [2, 3, 4])
    }

    @Test func repliesHeldBeyondTheBudgetStopReading() throws {
        let harness = try HandlerHarness()
        let socket = StuckSocket()
        try harness.channel.pipeline.syncOperations.addHandler(socket, position: .first)
        try harness.sendHello()
        socket.stuck = true
        let large = RequestOutcome(reply: .error(ErrorReply(code: .internalError, message: String(repeating: "x", count: 4_000))))
        var encoded = ByteBuffer()
        ServerFrame(requestID: 2, message: large.reply).encode(into: &encoded)
        // One reply in flight, then as many held as pass the budget.
        let expected = 1 + (ConnectionHandler.replyBudget.high + encoded.readableBytes - 1) / encoded.readableBytes
        var answered = 0
        for id in UInt32(2)..<UInt32(100) {
            try harness.send(validate(id))
            guard harness.responder.received.count > answered else { break }  // not taken
            harness.responder.answer(answered, large)
            answered += 1
        }
        #expect(answered == expected, "past the budget: not writable, \(encoded.readableBytes) bytes a reply")
        let readsBefore = harness.readCounter.reads
        harness.channel.read()
        #expect(harness.readCounter.reads == readsBefore, "not read from while its replies wait")
        let context = try harness.channel.pipeline.syncOperations.context(handler: socket)
        socket.drain(context)
        #expect(harness.responder.received.count == answered + 1, "drained: the frame waiting is taken")
        #expect(harness.readCounter.reads == readsBefore + 1)
    }

    @Test func aBadLengthHeaderIsAnsweredAndCloses() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        try harness.channel.writeInbound(ByteBuffer(bytes: [0x7f, 0xff, 0xff, 0xff]))
        #expect(HandlerHarness.errorCodes(try harness.written()) == [.frameTooLarge])
        #expect(!harness.isOpen)
    }

    // MARK: Pushes, close and shutdown

    @Test func aRevocationWaitsForTheReplyToTheHeartbeatOfItsToken() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        try harness.send(ClientFrame(requestID: 2, message: .heartbeat(ConnectionFixtures.tokenA)))
        let link = try #require(harness.responder.link)
        link.push(ConnectionFixtures.revoked(ConnectionFixtures.tokenB))
        link.push(ConnectionFixtures.revoked(ConnectionFixtures.tokenA))
        #expect(try harness.written() == [ServerFrame(requestID: 0, message: ConnectionFixtures.revoked(ConnectionFixtures.tokenB))])
        let reply = ServerMessage.error(ErrorReply(code: .sessionRevoked, message: "revoked"))
        harness.responder.answer(0, RequestOutcome(reply: reply))
        #expect(try harness.written() == [
            ServerFrame(requestID: 2, message: reply), ServerFrame(requestID: 0, message: ConnectionFixtures.revoked(ConnectionFixtures.tokenA)),
        ])
    }

    @Test func newsOfAWaitIsWrittenAfterTheQueuedReplyAndAClosedConnectionIsReported() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        let wait = ClientMessage.acquireOrWait(AcquireRequest(licenseKey: "L", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1"))
        try harness.send(ClientFrame(requestID: 9, message: wait))
        #expect(harness.responder.receivedRequestIDs == [9], "the responder learns the wait's id")
        let link = try #require(harness.responder.link)
        let moved = ServerMessage.queuePosition(QueuePositionNotice(waitID: 9, place: QueuePlace(position: 1, waiting: 1, seatsTotal: 1, seatsInUse: 1)))
        link.push(moved)
        #expect(try harness.written() == [], "held behind the reply")
        let queued = ServerMessage.queued(QueuePlace(position: 2, waiting: 2, seatsTotal: 1, seatsInUse: 1))
        harness.responder.answer(0, RequestOutcome(reply: queued))
        #expect(try harness.written() == [ServerFrame(requestID: 9, message: queued), ServerFrame(requestID: 0, message: moved)])
        try harness.channel.close().wait()
        #expect(harness.responder.closedLinks.withLock { $0.map(ObjectIdentifier.init) } == [ObjectIdentifier(link)])
    }

    @Test func closeAfterReplyClosesOnceTheReplyIsWritten() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        try harness.send(validate(2), validate(3))
        harness.responder.answer(0, RequestOutcome(reply: ConnectionFixtures.validated, closeAfterReply: true))
        #expect(try harness.written().map(\.requestID) == [2])
        #expect(!harness.isOpen)
        #expect(harness.responder.received.count == 1)
    }

    @Test func shutdownFinishesTheRequestInHandThenSaysWhyAndCloses() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        try harness.send(validate(2), validate(3))
        harness.channel.pipeline.triggerUserOutboundEvent(ConnectionHandler.Command.beginShutdown, promise: nil)
        #expect(harness.isOpen)
        harness.responder.answer(0, validated)
        #expect(try harness.written() == [
            ServerFrame(requestID: 2, message: ConnectionFixtures.validated),
            ServerFrame(requestID: 0, message: .error(ConnectionStateMachine.shuttingDownError)),
        ])
        #expect(!harness.isOpen)
        #expect(harness.responder.received.count == 1, "the queued request is not started")
    }

    @Test func aReplyAfterThePeerLeftIsDropped() throws {
        let harness = try HandlerHarness()
        try harness.sendHello()
        try harness.send(validate(2))
        try harness.channel.close().wait()
        harness.responder.answer(0, validated)
        #expect(try harness.written() == [])
    }
}
