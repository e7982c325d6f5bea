import Glibc
import Logging
import NIOCore
import NIOEmbedded
import SeatCore
@testable import SeatServer
import SeatProtocol
import Synchronization
import Testing

/// Hostile clients: the small frame limit before authentication, the deadline for
/// completing a started frame, the caps on unauthenticated connections and the rate limit
/// of the refusal log. The machine on explicit times, the handler on the embedded clock.
@Suite struct ConnectionAbuseTests {
    typealias Machine = ConnectionStateMachine
    typealias Fixtures = ConnectionFixtures
    let start = ConnectionFixtures.start

    /// A frame timeout (5 s) apart from the handshake (10 s) and authentication (20 s) deadlines.
    static func configuration(_ admission: Machine.Admission, usesTLS: Bool = false) -> Machine.Configuration {
        var configuration = Fixtures.configuration(admission, usesTLS: usesTLS)
        configuration.frameTimeout = .seconds(5)
        return configuration
    }

    func frame(_ id: UInt32, _ message: ClientMessage) -> Result<ClientFrame, WireError> {
        .success(ClientFrame(requestID: id, message: message))
    }

    // MARK: Frame limit before authentication

    @Test func framesStaySmallUntilAuthenticateSucceeds() {
        var machine = Machine(configuration: Self.configuration(.accessKeyRequired), now: start)
        _ = machine.opened()
        #expect(machine.isPreAuthentication && machine.frameLimit == 4_096)
        _ = machine.received(.success(Fixtures.hello()), now: start)
        #expect(machine.isPreAuthentication && machine.frameLimit == 4_096, "Hello alone proves nothing")
        _ = machine.received(frame(2, .authenticate(accessKey: "k")), now: start)
        #expect(machine.frameLimit == 4_096, "not while the key is being checked")
        _ = machine.answered(Fixtures.authenticated(.client), now: start)
        #expect(!machine.isPreAuthentication && machine.frameLimit == 65_536)
    }

    @Test func aFailedAuthenticateKeepsTheSmallLimit() {
        var machine = Machine(configuration: Self.configuration(.accessKeyRequired), now: start)
        _ = machine.opened()
        _ = machine.received(.success(Fixtures.hello()), now: start)
        _ = machine.received(frame(2, .authenticate(accessKey: "k")), now: start)
        _ = machine.answered(RequestOutcome(reply: .error(ErrorReply(code: .authenticationThrottled, message: "later"))), now: start)
        #expect(machine.isPreAuthentication && machine.frameLimit == 4_096)
    }

    @Test(arguments: [Machine.Admission.anonymousTenant, .adminSocket])
    func theAnonymousTenantAndTheAdminSocketGetFullFramesAfterHello(admission: Machine.Admission) {
        var machine = Machine(configuration: Self.configuration(admission), now: start)
        _ = machine.opened()
        #expect(machine.frameLimit == 4_096)
        _ = machine.received(.success(Fixtures.hello()), now: start)
        #expect(!machine.isPreAuthentication && machine.frameLimit == 65_536)
    }

    // MARK: Frame deadline

    @Test func aStartedFrameMustCompleteWithinTheFrameTimeout() {
        var machine = Machine(configuration: Self.configuration(.anonymousTenant), now: start)
        _ = machine.opened()
        _ = machine.received(.success(Fixtures.hello()), now: start)
        #expect(machine.partialFrame(pending: true, now: Fixtures.at(1)) == [.scheduleTimer(at: Fixtures.at(6))])
        #expect(machine.partialFrame(pending: true, now: Fixtures.at(3)) == [], "more bytes of the same frame do not move the deadline")
        #expect(machine.timerFired(now: Fixtures.at(6) - .nanoseconds(1)) == [.scheduleTimer(at: Fixtures.at(6))])
        #expect(machine.timerFired(now: Fixtures.at(6)) == [Fixtures.notice(Machine.frameTimeoutError), .close])
        #expect(Machine.frameTimeoutError.code == .idleTimeout)
    }

    @Test func aCompletedFrameClearsTheDeadline() {
        var machine = Machine(configuration: Self.configuration(.anonymousTenant), now: start)
        _ = machine.opened()
        _ = machine.received(.success(Fixtures.hello()), now: start)
        _ = machine.partialFrame(pending: true, now: Fixtures.at(1))
        #expect(machine.partialFrame(pending: false, now: Fixtures.at(2)) == [])
        // The timer armed for the frame fires with nothing due and re-arms for the idle deadline.
        #expect(machine.timerFired(now: Fixtures.at(6)) == [.scheduleTimer(at: Fixtures.at(900))])
        #expect(machine.stage == .open(.anonymous))
    }

    @Test func aFrameHeldUpByTheServersBackpressureIsNotTheClientsDelay() {
        var configuration = Self.configuration(.anonymousTenant)
        configuration.queuedFrameBudget = 1
        var machine = Machine(configuration: configuration, now: start)
        _ = machine.opened()
        _ = machine.received(.success(Fixtures.hello()), now: start)
        _ = machine.received(frame(2, .validate(licenseKey: "A")), now: start)
        #expect(machine.received(frame(3, .validate(licenseKey: "B")), now: start) == [.stopReading])
        #expect(machine.partialFrame(pending: true, now: Fixtures.at(1)) == [], "not reading: no deadline")
        #expect(machine.timerFired(now: Fixtures.at(100)) == [])
        #expect(machine.stage == .open(.anonymous))
        // Reading on, the deadline counts from the moment the frame is found still incomplete.
        _ = machine.answered(RequestOutcome(reply: Fixtures.validated), now: Fixtures.at(100))
        _ = machine.answered(RequestOutcome(reply: Fixtures.validated), now: Fixtures.at(100))
        #expect(machine.partialFrame(pending: true, now: Fixtures.at(100)) == [.scheduleTimer(at: Fixtures.at(105))])
    }

    @Test func aStoppedReadClearsADeadlineAlreadyRunning() {
        var configuration = Self.configuration(.anonymousTenant)
        configuration.queuedFrameBudget = 1
        var machine = Machine(configuration: configuration, now: start)
        _ = machine.opened()
        _ = machine.received(.success(Fixtures.hello()), now: start)
        _ = machine.received(frame(2, .validate(licenseKey: "A")), now: start)
        _ = machine.partialFrame(pending: true, now: start)
        #expect(machine.received(frame(3, .validate(licenseKey: "B")), now: Fixtures.at(1)) == [.stopReading])
        #expect(machine.timerFired(now: Fixtures.at(5)) == [], "no deadline while the server does not read")
        #expect(machine.stage == .open(.anonymous))
    }

    // MARK: The handler: limits and deadline on the embedded clock

    struct Harness {
        let channel = EmbeddedChannel()
        let responder = CommandedResponder()
        var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

        init(_ admission: Machine.Admission, slot: UnauthenticatedSlot? = nil) throws {
            let handler = ConnectionHandler(
                configuration: ConnectionAbuseTests.configuration(admission),
                principal: admission == .anonymousTenant ? .anonymous(tenant: "default") : nil,
                maximumFrameBytes: 65_536,
                services: ConnectionHandler.Services(responder: responder, directory: ConnectionDirectory(), logger: Logger(label: "test")),
                now: channel.embeddedEventLoop.now,
                unauthenticatedSlot: slot
            )
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7420)).wait()
        }

        func send(_ frame: ClientFrame) throws {
            var buffer = channel.allocator.buffer(capacity: 256)
            frame.encode(into: &buffer)
            try channel.writeInbound(buffer)
        }

        func written() throws -> [ServerFrame] {
            var frames: [ServerFrame] = []
            var decoder = FrameDecoder()
            while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
                while let body = try decoder.decode(buffer: &buffer) { frames.append(try ServerFrame(decoding: body)) }
            }
            return frames
        }

        func authenticate() throws {
            try send(ConnectionFixtures.hello())
            try send(ClientFrame(requestID: 2, message: .authenticate(accessKey: "k")))
            responder.answer(0, ConnectionFixtures.authenticated(.client))
            #expect(try written().map(\.requestID) == [1, 2])
        }
    }

    /// An AdminRequest whose JSON makes its body `bodyBytes` long: on a connection without
    /// the admin role it is answered `notAuthorized` at once, so it shows the frame was read.
    static func bigFrame(bodyBytes: Int, id: UInt32) -> ByteBuffer {
        var buffer = ByteBuffer()
        ClientFrame(requestID: id, message: .admin(AdminRequest(json: String(repeating: " ", count: bodyBytes - 9)))).encode(into: &buffer)
        precondition(buffer.readableBytes == bodyBytes + 4)
        return buffer
    }

    @Test func aLargeFrameBeforeAuthenticationIsRefusedFromItsHeader() throws {
        let harness = try Harness(.accessKeyRequired)
        try harness.send(ConnectionFixtures.hello())
        #expect(try harness.written().map(\.requestID) == [1])
        var frame = Self.bigFrame(bodyBytes: 4_097, id: 2)
        try harness.channel.writeInbound(frame.readSlice(length: 4)!)
        #expect(HandlerHarness.errorCodes(try harness.written()) == [.frameTooLarge])
        #expect(!harness.channel.isActive)
    }

    @Test func theSameFrameAfterAuthenticationIsServed() throws {
        let harness = try Harness(.accessKeyRequired)
        try harness.authenticate()
        try harness.channel.writeInbound(Self.bigFrame(bodyBytes: 4_097, id: 3))
        let replies = try harness.written()
        #expect(replies.map(\.requestID) == [3])
        #expect(HandlerHarness.errorCodes(replies) == [.notAuthorized])
        #expect(harness.channel.isActive)
    }

    @Test func aSlowBodyIsClosedAtTheFrameDeadlineLongBeforeTheIdleTimeout() throws {
        let harness = try Harness(.anonymousTenant)
        try harness.send(ConnectionFixtures.hello())
        _ = try harness.written()
        var frame = Self.bigFrame(bodyBytes: 3_000, id: 2)
        try harness.channel.writeInbound(frame.readSlice(length: 100)!)
        // A byte a second: each keeps the idle timer happy, none moves the frame deadline.
        for _ in 0..<4 {
            harness.loop.advanceTime(by: .seconds(1))
            try harness.channel.writeInbound(frame.readSlice(length: 1)!)
        }
        harness.loop.advanceTime(by: .seconds(1) - .nanoseconds(1))
        #expect(harness.channel.isActive)
        harness.loop.advanceTime(by: .nanoseconds(1))
        #expect(try harness.written() == [ServerFrame(requestID: 0, message: .error(Machine.frameTimeoutError))])
        #expect(!harness.channel.isActive)
        #expect(harness.responder.received.isEmpty)
    }

    @Test func framesCompletedInTimeNeverMeetTheFrameDeadline() throws {
        let harness = try Harness(.anonymousTenant)
        try harness.send(ConnectionFixtures.hello())
        for id in UInt32(2)...UInt32(6) {
            var frame = Self.bigFrame(bodyBytes: 3_000, id: id)
            try harness.channel.writeInbound(frame.readSlice(length: 1_000)!)
            harness.loop.advanceTime(by: .seconds(4))
            try harness.channel.writeInbound(frame)
        }
        #expect(harness.channel.isActive, "20 s of frames, each completed within 5 s")
        #expect(try harness.written().map(\.requestID) == [1, 2, 3, 4, 5, 6])
    }

    // MARK: Pipelined frames

    /// Counts the flushes the handler sends down the pipeline.
    final class FlushCounter: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = ByteBuffer
        var flushes = 0
        func flush(context: ChannelHandlerContext) {
            flushes += 1
            context.flush()
        }
    }

    @Test func theRepliesToTheFramesOfOneReadAreFlushedTogether() throws {
        let harness = try Harness(.accessKeyRequired)
        let counter = FlushCounter()
        try harness.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        try harness.send(ConnectionFixtures.hello())
        _ = try harness.written()
        #expect(counter.flushes == 1)
        // 100 requests in one read, each answered at once (authentication required).
        var buffer = harness.channel.allocator.buffer(capacity: 100 * 32)
        for id in 0..<100 {
            ClientFrame(requestID: UInt32(2 + id), message: .validate(licenseKey: "L")).encode(into: &buffer)
        }
        try harness.channel.writeInbound(buffer)
        #expect(try harness.written().map(\.requestID) == (0..<100).map { UInt32(2 + $0) })
        #expect(counter.flushes == 2, "one write for the 100 replies")
        // A reply that comes later (from the responder) is flushed at once.
        try harness.send(ClientFrame(requestID: 200, message: .authenticate(accessKey: "k")))
        #expect(try harness.written().isEmpty)
        harness.responder.answer(0, ConnectionFixtures.authenticated(.client))
        #expect(try harness.written().map(\.requestID) == [200])
        #expect(counter.flushes == 3)
    }

    // MARK: Unauthenticated caps

    @Test func theUnauthenticatedSlotIsGivenBackWhenAuthenticateSucceeds() throws {
        let caps = UnauthenticatedConnections(limits: .init(perAddress: 1, percentOfConnections: 100, connectionLimit: 10))
        let slot = try caps.admit("10.0.0.1").get()
        let harness = try Harness(.accessKeyRequired, slot: slot)
        #expect(caps.admit("10.0.0.1") == .failure(.perAddress))
        try harness.send(ConnectionFixtures.hello())
        #expect(caps.count(from: "10.0.0.1") == 1, "Hello alone keeps it")
        try harness.send(ClientFrame(requestID: 2, message: .authenticate(accessKey: "k")))
        harness.responder.answer(0, ConnectionFixtures.authenticated(.client))
        #expect(caps.count(from: "10.0.0.1") == 0)
        #expect(harness.channel.isActive)
        #expect((try? caps.admit("10.0.0.1").get()) != nil, "the address may open another")
    }

    @Test func theUnauthenticatedSlotIsGivenBackOnClose() throws {
        let caps = UnauthenticatedConnections(limits: .init(perAddress: 4, percentOfConnections: 100, connectionLimit: 10))
        let harness = try Harness(.accessKeyRequired, slot: try caps.admit("10.0.0.1").get())
        try harness.send(ConnectionFixtures.hello())
        #expect(caps.count == 1)
        harness.loop.advanceTime(by: .seconds(20))  // the authentication deadline
        #expect(!harness.channel.isActive)
        #expect(caps.count == 0)
    }

    @Test func anonymousConnectionsAreUnauthenticatedOnlyUntilHello() throws {
        let caps = UnauthenticatedConnections(limits: .init(perAddress: 4, percentOfConnections: 100, connectionLimit: 10))
        let harness = try Harness(.anonymousTenant, slot: try caps.admit("10.0.0.1").get())
        #expect(caps.count == 1)
        try harness.send(ConnectionFixtures.hello())
        #expect(caps.count == 0)
    }

    @Test func capsPerAddressAndInTotal() throws {
        let caps = UnauthenticatedConnections(limits: .init(perAddress: 2, percentOfConnections: 50, connectionLimit: 6))
        #expect(caps.limits.total == 3)
        let first = try caps.admit("a").get()
        _ = try caps.admit("a").get()
        #expect(caps.admit("a") == .failure(.perAddress))
        _ = try caps.admit("b").get()
        #expect(caps.admit("c") == .failure(.total))
        first.release()
        first.release()  // once only
        #expect(caps.count == 2 && caps.count(from: "a") == 1)
        #expect((try? caps.admit("c").get()) != nil)
        #expect(UnauthenticatedConnections.Limits(perAddress: 1, percentOfConnections: 1, connectionLimit: 10).total == 1, "never zero")
    }

    // MARK: Refusal log

    @Test func refusalsAreLoggedAtMostOncePerIntervalWithTheCountsSinceTheLastLine() {
        var report = RefusalReport(interval: .seconds(10))
        #expect(report.note(.perAddress, now: Fixtures.at(0)) == .log([.perAddress: 1]), "the first at once")
        #expect(report.note(.perAddress, now: Fixtures.at(1)) == .held(flushAt: Fixtures.at(10)))
        #expect(report.note(.maxConnections, now: Fixtures.at(2)) == .held(flushAt: nil))
        #expect(report.note(.perAddress, now: Fixtures.at(3)) == .held(flushAt: nil))
        #expect(report.flush(now: Fixtures.at(10)) == [.perAddress: 2, .maxConnections: 1])
        #expect(report.note(.acceptError, now: Fixtures.at(11)) == .held(flushAt: Fixtures.at(20)), "within the interval of the flushed line")
        #expect(report.flush(now: Fixtures.at(20)) == [.acceptError: 1])
        #expect(report.flush(now: Fixtures.at(40)) == nil)
        #expect(report.note(.perAddress, now: Fixtures.at(41)) == .log([.perAddress: 1]), "quiet for an interval: at once again")
    }
}

extension Result where Success == UnauthenticatedSlot, Failure == UnauthenticatedConnections.Refusal {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.failure(let a), .failure(let b)): a == b
        default: false
        }
    }
}

@Suite struct AcceptErrorTests {
    @Test func anAcceptErrorIsCountedAndLogged() throws {
        let metrics = SeatMetrics()
        let lines = LogLines()
        var logger = Logger(label: "test") { _ in lines }
        logger.logLevel = .info
        let refusals = ConnectionRefusals(metrics: metrics, logger: logger) { ["max_connections": "256"] }
        let listening = EmbeddedChannel(handler: AcceptErrorObserver(refusals: refusals))
        listening.pipeline.fireErrorCaught(IOError(errnoCode: EMFILE, reason: "accept"))
        var text: [UInt8] = []
        metrics.registry.emit(into: &text)
        #expect(String(decoding: text, as: UTF8.self).contains("seatd_connection_refusals_total{reason=\"accept_error\"} 1"))
        let logged = lines.messages
        #expect(logged.count == 1)
        #expect(logged.first?.contains("connections refused") == true)
        #expect(logged.first?.contains("refused_accept_error=1") == true)
        #expect(logged.first?.contains("max_connections=256") == true)
        #expect(logged.first?.contains("Too many open files") == true, "names the error: \(logged)")
        _ = try listening.finish()
    }
}

/// A log handler that keeps every message with its metadata, for checking what was logged.
final class LogLines: LogHandler, @unchecked Sendable {
    private let stored = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var messages: [String] { stored.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        stored.withLock { $0.append("\(event.message) \(fields)") }
    }
}
