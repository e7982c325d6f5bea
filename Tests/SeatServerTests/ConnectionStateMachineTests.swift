import NIOCore
import SeatCore
@testable import SeatServer
import SeatProtocol
import Testing

/// Builders shared by the connection tests: configurations, frames and replies.
enum ConnectionFixtures {
    typealias Machine = ConnectionStateMachine
    typealias Action = ConnectionStateMachine.Action

    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let info = Machine.ServerInfo(maximumFrameBytes: 65_536, leaseMilliseconds: 360_000, heartbeatIntervalMilliseconds: 120_000, serverName: "test")
    static let tokenA = SessionToken(high: 1, low: 1)
    static let tokenB = SessionToken(high: 2, low: 2)

    static func configuration(_ admission: Machine.Admission = .anonymousTenant, usesTLS: Bool = true, budget: Int = 16) -> Machine.Configuration {
        Machine.Configuration(
            info: info, admission: admission, usesTLS: usesTLS,
            handshakeTimeout: .seconds(10), authenticationTimeout: .seconds(20), idleTimeout: .seconds(900),
            queuedFrameBudget: budget
        )
    }

    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    static func hello(_ minimum: UInt16 = 1, _ maximum: UInt16 = 1, id: UInt32 = 1) -> ClientFrame {
        ClientFrame(requestID: id, message: .hello(Hello(minimumVersion: minimum, maximumVersion: maximum, clientName: "c")))
    }

    static let helloAccepted = ServerMessage.helloAccepted(HelloAccepted(
        version: 1, maximumFrameBytes: 65_536, leaseMilliseconds: 360_000, heartbeatIntervalMilliseconds: 120_000, serverName: "test"))

    /// One message of every kind a client can send after Hello.
    static let requests: [ClientMessage] = [
        .hello(Hello(clientName: "again")),
        .acquire(AcquireRequest(licenseKey: "L", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1")),
        .heartbeat(tokenA),
        .release(tokenA),
        .validate(licenseKey: "L"),
        .authenticate(accessKey: "seatd_key"),
        .admin(AdminRequest(json: "{\"op\":\"status\"}")),
    ]

    static let validated = ServerMessage.validated(ValidateResult(status: .valid, tier: "", licenseExpiresAt: nil, features: [:], seatsTotal: 1, seatsInUse: 0))

    static func authenticated(_ role: PrincipalRole) -> RequestOutcome {
        RequestOutcome(reply: .authenticated(Authenticated(tenant: role == .admin ? "" : "acme", role: role)))
    }

    static func revoked(_ token: SessionToken) -> ServerMessage {
        .sessionRevoked(SessionRevokedNotice(token: token, reason: .forceReleased, message: "released by an administrator"))
    }

    static func errorCode(_ action: Action) -> ErrorCode? {
        guard case .write(let frame) = action, case .error(let reply) = frame.message else { return nil }
        return reply.code
    }

    static func write(_ requestID: UInt32, _ message: ServerMessage) -> Action {
        .write(ServerFrame(requestID: requestID, message: message))
    }

    static func notice(_ reply: ErrorReply) -> Action {
        write(WireConstants.serverPushRequestID, .error(reply))
    }
}

@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    typealias Fixtures = ConnectionFixtures
    let start = ConnectionFixtures.start

    /// A machine past Hello with `admission`, at `start`.
    func openMachine(_ admission: Machine.Admission = .anonymousTenant, budget: Int = 16) -> Machine {
        var machine = Machine(configuration: Fixtures.configuration(admission, budget: budget), now: start)
        _ = machine.opened()
        _ = machine.tlsEstablished()
        _ = machine.received(.success(Fixtures.hello()), now: start)
        return machine
    }

    func authenticatedMachine(_ role: PrincipalRole) -> Machine {
        var machine = openMachine(.accessKeyRequired)
        _ = machine.received(.success(ClientFrame(requestID: 2, message: .authenticate(accessKey: "k"))), now: start)
        _ = machine.answered(Fixtures.authenticated(role), now: start)
        return machine
    }

    func frame(_ id: UInt32, _ message: ClientMessage) -> Result<ClientFrame, WireError> {
        .success(ClientFrame(requestID: id, message: message))
    }

    // MARK: Start, TLS and Hello

    @Test func openingArmsTheHandshakeDeadline() {
        var machine = Machine(configuration: Fixtures.configuration(.accessKeyRequired), now: start)
        #expect(machine.stage == .accepted)
        #expect(machine.opened() == [.scheduleTimer(at: Fixtures.at(10))])
        #expect(machine.tlsEstablished() == [])
        #expect(machine.stage == .awaitingHello)

        var local = Machine(configuration: Fixtures.configuration(.adminSocket, usesTLS: false), now: start)
        #expect(local.stage == .awaitingHello)
        #expect(local.opened() == [.scheduleTimer(at: Fixtures.at(10))])
    }

    @Test func helloNegotiatesTheHighestCommonVersion() {
        var machine = Machine(configuration: Fixtures.configuration(), now: start)
        _ = machine.opened()
        _ = machine.tlsEstablished()
        let accepted = ServerMessage.helloAccepted(HelloAccepted(
            version: 2, maximumFrameBytes: 65_536, leaseMilliseconds: 360_000, heartbeatIntervalMilliseconds: 120_000, serverName: "test"))
        #expect(machine.received(.success(Fixtures.hello(1, 5)), now: start) == [Fixtures.write(1, accepted)])
        #expect(machine.negotiatedVersion == 2)
        #expect(machine.stage == .open(.anonymous))
    }

    @Test(arguments: [(3, 4), (0, 0), (3, 1)] as [(UInt16, UInt16)])
    func helloWithoutACommonVersionIsRefusedAndClosed(minimum: UInt16, maximum: UInt16) {
        var machine = Machine(configuration: Fixtures.configuration(), now: start)
        _ = machine.opened()
        let actions = machine.received(.success(Fixtures.hello(minimum, maximum)), now: start)
        let refusal = ErrorReply(code: .unsupportedVersion, message: "this server speaks protocol versions 1...2", detail: .supportedVersions(minimum: 1, maximum: 2))
        #expect(actions == [Fixtures.write(1, .error(refusal)), .close, .cancelTimer])
        #expect(machine.negotiatedVersion == nil)
        #expect(machine.stage == .closing)
    }

    /// Before Hello, in either pre-Hello stage, every other message closes with helloRequired.
    @Test(arguments: [true, false], ConnectionFixtures.requests.dropFirst())
    func requestBeforeHelloClosesWithHelloRequired(tlsEstablished: Bool, message: ClientMessage) {
        var machine = Machine(configuration: Fixtures.configuration(), now: start)
        _ = machine.opened()
        if tlsEstablished { _ = machine.tlsEstablished() }
        let actions = machine.received(frame(4, message), now: start)
        #expect(actions.count == 3)
        #expect(Fixtures.errorCode(actions[0]) == .helloRequired)
        #expect(actions.dropFirst() == [.close, .cancelTimer])
    }

    @Test func undecodableFirstFrameClosesButLaterOnesAreOnlyAnswered() {
        let error = WireError(code: .invalidUTF8, requestID: 9, reason: "bad")
        var fresh = Machine(configuration: Fixtures.configuration(), now: start)
        _ = fresh.opened()
        #expect(fresh.received(.failure(error), now: start) == [.write(Machine.errorFrame(for: error)), .close, .cancelTimer])

        var open = openMachine()
        #expect(open.received(.failure(error), now: start) == [.write(Machine.errorFrame(for: error))])
        #expect(open.stage == .open(.anonymous))
        #expect(Machine.errorFrame(for: error).requestID == 9)
        #expect(Machine.errorFrame(for: WireError(code: .frameTooLarge, requestID: nil, reason: "x")).requestID == 0)
    }

    @Test func aBrokenStreamIsAnsweredAfterTheRequestInHandThenClosed() {
        var machine = openMachine()
        #expect(machine.received(frame(2, .validate(licenseKey: "L")), now: start) == [.dispatch(.validate(licenseKey: "L"))])
        let error = WireError(code: .frameTooLarge, requestID: nil, reason: "too large")
        #expect(machine.streamFailed(error, now: start) == [.stopReading])
        #expect(machine.received(frame(3, .validate(licenseKey: "L")), now: start) == [], "no frame can follow a broken stream")
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated), now: start) == [
            Fixtures.write(2, Fixtures.validated), .write(Machine.errorFrame(for: error)), .close, .cancelTimer,
        ])
    }

    // MARK: Who may send what

    /// The whole rule table: what each standing does with each message.
    @Test(arguments: [
        (Machine.Standing.unauthenticated, [ErrorCode.unexpectedMessage, .authenticationRequired, .authenticationRequired, .authenticationRequired, .authenticationRequired, nil, .notAuthorized]),
        (.anonymous, [.unexpectedMessage, nil, nil, nil, nil, nil, .notAuthorized]),
        (.adminSocket, [.unexpectedMessage, nil, nil, nil, nil, nil, nil]),
        (.client, [.unexpectedMessage, nil, nil, nil, nil, .unexpectedMessage, .notAuthorized]),
        (.administrator, [.unexpectedMessage, nil, nil, nil, nil, .unexpectedMessage, nil]),
    ] as [(Machine.Standing, [ErrorCode?])])
    func eachStandingAnswersOrDispatchesEachMessage(standing: Machine.Standing, refusals: [ErrorCode?]) {
        for (message, refusal) in zip(Fixtures.requests, refusals) {
            var machine: Machine = switch standing {
            case .unauthenticated: openMachine(.accessKeyRequired)
            case .anonymous: openMachine(.anonymousTenant)
            case .adminSocket: openMachine(.adminSocket)
            case .client: authenticatedMachine(.client)
            case .administrator: authenticatedMachine(.admin)
            }
            #expect(machine.stage == .open(standing))
            let actions = machine.received(frame(7, message), now: start)
            if let refusal {
                #expect(actions.count == 1 && Fixtures.errorCode(actions[0]) == refusal, "\(standing) \(message)")
                if case .write(let reply) = actions.first { #expect(reply.requestID == 7) }
            } else {
                #expect(actions == [.dispatch(message)], "\(standing) \(message)")
            }
            #expect(machine.stage == .open(standing), "a refusal leaves the connection open")
        }
    }

    @Test func authenticateSucceedsOnceAndAPipelinedSecondIsRefused() {
        var machine = openMachine(.accessKeyRequired)
        #expect(machine.received(frame(2, .authenticate(accessKey: "k")), now: start) == [.dispatch(.authenticate(accessKey: "k"))])
        #expect(machine.received(frame(3, .authenticate(accessKey: "k")), now: start) == [])
        #expect(machine.received(frame(4, .validate(licenseKey: "L")), now: start) == [])
        let actions = machine.answered(Fixtures.authenticated(.client), now: start)
        #expect(actions.count == 3)
        #expect(actions[0] == Fixtures.write(2, Fixtures.authenticated(.client).reply))
        #expect(Fixtures.errorCode(actions[1]) == .unexpectedMessage)
        #expect(actions[2] == .dispatch(.validate(licenseKey: "L")), "seat requests wait for the Authenticate before them")
        #expect(machine.stage == .open(.client))
    }

    @Test func anAdminKeyOpensTheAdminGateAndAClientKeyClosesTheAdminSockets() {
        var anonymous = openMachine(.anonymousTenant)
        _ = anonymous.received(frame(2, .authenticate(accessKey: "k")), now: start)
        _ = anonymous.answered(Fixtures.authenticated(.admin), now: start)
        #expect(anonymous.stage == .open(.administrator))

        var socket = openMachine(.adminSocket)
        _ = socket.received(frame(2, .authenticate(accessKey: "k")), now: start)
        _ = socket.answered(Fixtures.authenticated(.client), now: start)
        #expect(socket.stage == .open(.client))
    }

    @Test func aRefusedAuthenticateThatAsksToCloseCloses() {
        var machine = openMachine(.accessKeyRequired)
        _ = machine.received(frame(2, .authenticate(accessKey: "bad")), now: start)
        _ = machine.received(frame(3, .validate(licenseKey: "L")), now: start)
        let refusal = ServerMessage.error(ErrorReply(code: .authenticationFailed, message: "no"))
        #expect(machine.answered(RequestOutcome(reply: refusal, closeAfterReply: true), now: start) == [Fixtures.write(2, refusal), .close, .cancelTimer])
        #expect(machine.stage == .closing)
    }

    // MARK: Pipelining and backpressure

    @Test func pipelinedRequestsAreDispatchedOneAtATimeAndAnsweredInOrder() {
        var machine = openMachine()
        #expect(machine.received(frame(2, .validate(licenseKey: "A")), now: start) == [.dispatch(.validate(licenseKey: "A"))])
        #expect(machine.received(frame(3, .hello(Hello(clientName: "x"))), now: start) == [], "even a local answer waits its turn")
        #expect(machine.received(frame(4, .validate(licenseKey: "B")), now: start) == [])
        let actions = machine.answered(RequestOutcome(reply: Fixtures.validated), now: start)
        #expect(actions.count == 3)
        #expect(actions[0] == Fixtures.write(2, Fixtures.validated))
        #expect(Fixtures.errorCode(actions[1]) == .unexpectedMessage)
        #expect(actions[2] == .dispatch(.validate(licenseKey: "B")))
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated), now: start) == [Fixtures.write(4, Fixtures.validated)])
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated), now: start) == [], "no request is in flight")
    }

    @Test func reachingTheQueueBudgetStopsReadingAndDrainingResumesIt() {
        var machine = openMachine(budget: 2)
        _ = machine.received(frame(2, .validate(licenseKey: "A")), now: start)
        #expect(machine.received(frame(3, .validate(licenseKey: "B")), now: start) == [])
        #expect(machine.received(frame(4, .validate(licenseKey: "C")), now: start) == [.stopReading])
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated), now: start) == [
            Fixtures.write(2, Fixtures.validated), .dispatch(.validate(licenseKey: "B")), .resumeReading,
        ])
        #expect(machine.received(frame(5, .validate(licenseKey: "D")), now: start) == [.stopReading])
    }

    @Test func anUnwritableChannelStopsReadingAndDispatchingUntilItDrains() {
        var machine = openMachine()
        #expect(machine.writabilityChanged(isWritable: false, now: start) == [.stopReading])
        #expect(machine.writabilityChanged(isWritable: false, now: start) == [])
        #expect(machine.received(frame(2, .validate(licenseKey: "A")), now: start) == [], "held until the peer reads")
        #expect(machine.writabilityChanged(isWritable: true, now: start) == [.dispatch(.validate(licenseKey: "A")), .resumeReading])
    }

    // MARK: Pushes

    @Test func aPushWaitsForTheReplyToARequestForItsTokenOnly() {
        var machine = openMachine()
        #expect(machine.push(Fixtures.revoked(Fixtures.tokenA)) == [Fixtures.write(0, Fixtures.revoked(Fixtures.tokenA))], "nothing in flight")
        _ = machine.received(frame(2, .heartbeat(Fixtures.tokenA)), now: start)
        #expect(machine.push(Fixtures.revoked(Fixtures.tokenB)) == [Fixtures.write(0, Fixtures.revoked(Fixtures.tokenB))], "another token")
        #expect(machine.push(Fixtures.revoked(Fixtures.tokenA)) == [], "held behind the heartbeat's reply")
        let reply = ServerMessage.error(ErrorReply(code: .sessionRevoked, message: "revoked"))
        #expect(machine.answered(RequestOutcome(reply: reply), now: start) == [Fixtures.write(2, reply), Fixtures.write(0, Fixtures.revoked(Fixtures.tokenA))])
    }

    @Test(arguments: [ClientMessage.release(ConnectionFixtures.tokenA), .acquire(AcquireRequest(licenseKey: "L", user: "u", hostname: "", hardwareID: "h", clientVersion: ""))])
    func releaseOfTheTokenAndAnyAcquireHoldThePush(request: ClientMessage) {
        var machine = openMachine()
        _ = machine.received(frame(2, request), now: start)
        #expect(machine.push(Fixtures.revoked(Fixtures.tokenA)) == [])
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated), now: start).last == Fixtures.write(0, Fixtures.revoked(Fixtures.tokenA)))
    }

    @Test func aValidateInFlightHoldsNoPush() {
        var machine = openMachine()
        _ = machine.received(frame(2, .validate(licenseKey: "L")), now: start)
        #expect(machine.push(Fixtures.revoked(Fixtures.tokenA)) == [Fixtures.write(0, Fixtures.revoked(Fixtures.tokenA))])
    }

    // MARK: Closing

    @Test func closeAfterReplyDropsWhatIsQueued() {
        var machine = openMachine()
        _ = machine.received(frame(2, .validate(licenseKey: "A")), now: start)
        _ = machine.received(frame(3, .validate(licenseKey: "B")), now: start)
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated, closeAfterReply: true), now: start) == [Fixtures.write(2, Fixtures.validated), .close, .cancelTimer])
    }

    @Test func shutdownOfAnIdleConnectionSaysWhyAndCloses() {
        var machine = openMachine()
        #expect(machine.beginShutdown() == [Fixtures.notice(Machine.shuttingDownError), .close, .cancelTimer])
        #expect(machine.beginShutdown() == [])
    }

    @Test func shutdownBeforeTLSClosesWithoutAFrame() {
        var machine = Machine(configuration: Fixtures.configuration(), now: start)
        _ = machine.opened()
        #expect(machine.beginShutdown() == [.close, .cancelTimer])
    }

    @Test func shutdownFinishesTheRequestInHandAndIgnoresTheRest() {
        var machine = openMachine()
        _ = machine.received(frame(2, .heartbeat(Fixtures.tokenA)), now: start)
        _ = machine.received(frame(3, .validate(licenseKey: "queued")), now: start)
        #expect(machine.beginShutdown() == [.stopReading])
        #expect(machine.received(frame(4, .validate(licenseKey: "late")), now: start) == [])
        #expect(machine.push(Fixtures.revoked(Fixtures.tokenA)) == [])
        let reply = ServerMessage.heartbeatAccepted(HeartbeatAccepted(leaseExpiresAt: Timestamp(millisecondsSinceEpoch: 1), heartbeatIntervalMilliseconds: 1))
        #expect(machine.answered(RequestOutcome(reply: reply), now: start) == [
            Fixtures.write(2, reply), Fixtures.write(0, Fixtures.revoked(Fixtures.tokenA)), Fixtures.notice(Machine.shuttingDownError), .close, .cancelTimer,
        ])
    }

    @Test func aClosedChannelCancelsTheTimerAndIgnoresALateReply() {
        var machine = openMachine()
        _ = machine.received(frame(2, .validate(licenseKey: "A")), now: start)
        #expect(machine.closed() == [.cancelTimer])
        #expect(machine.stage == .closed)
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated), now: start) == [])
        #expect(machine.closed() == [])
    }

    /// Once closing or closed, no input writes, dispatches or schedules anything.
    @Test(arguments: [false, true])
    func nothingHappensAfterClose(channelClosed: Bool) {
        var machine = openMachine()
        _ = machine.received(frame(2, .validate(licenseKey: "A")), now: start)
        _ = machine.beginShutdown()
        _ = machine.answered(RequestOutcome(reply: Fixtures.validated, closeAfterReply: true), now: start)
        if channelClosed { _ = machine.closed() }
        for message in Fixtures.requests {
            #expect(machine.received(frame(9, message), now: start) == [])
        }
        #expect(machine.received(.failure(WireError(code: .invalidUTF8, requestID: 9, reason: "x")), now: start) == [])
        #expect(machine.streamFailed(WireError(code: .frameTooLarge, requestID: nil, reason: "x"), now: start) == [])
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated), now: start) == [])
        #expect(machine.push(Fixtures.revoked(Fixtures.tokenA)) == [])
        #expect(machine.writabilityChanged(isWritable: false, now: start) == [])
        #expect(machine.writabilityChanged(isWritable: true, now: start) == [])
        #expect(machine.timerFired(now: Fixtures.at(100_000)) == [])
        #expect(machine.beginShutdown() == [])
        #expect(machine.tlsEstablished() == [])
        #expect(machine.closed() == [])
    }

    // MARK: Deadlines

    @Test func theHandshakeDeadlineClosesWithoutAFrameBeforeTLSAndWithOneAfter() {
        var beforeTLS = Machine(configuration: Fixtures.configuration(), now: start)
        _ = beforeTLS.opened()
        #expect(beforeTLS.timerFired(now: Fixtures.at(10)) == [.close])

        var afterTLS = Machine(configuration: Fixtures.configuration(), now: start)
        _ = afterTLS.opened()
        _ = afterTLS.tlsEstablished()
        #expect(afterTLS.timerFired(now: Fixtures.at(10)) == [Fixtures.notice(Machine.handshakeTimeoutError), .close])
    }

    @Test func theAuthenticationDeadlineClosesAConnectionThatNeverAuthenticated() {
        var machine = openMachine(.accessKeyRequired)
        // The handshake timer fires first; the machine re-arms for the next deadline.
        #expect(machine.timerFired(now: Fixtures.at(10)) == [.scheduleTimer(at: Fixtures.at(20))])
        #expect(machine.timerFired(now: Fixtures.at(20)) == [Fixtures.notice(Machine.authenticationTimeoutError), .close])
    }

    @Test func anAuthenticateInFlightAtTheDeadlineDecides() {
        var succeeds = openMachine(.accessKeyRequired)
        _ = succeeds.timerFired(now: Fixtures.at(10))
        _ = succeeds.received(frame(2, .authenticate(accessKey: "k")), now: Fixtures.at(19))
        #expect(succeeds.timerFired(now: Fixtures.at(20)) == [], "no close, and no idle deadline while a request is in flight")
        #expect(succeeds.answered(Fixtures.authenticated(.client), now: Fixtures.at(21)) == [
            Fixtures.write(2, Fixtures.authenticated(.client).reply), .scheduleTimer(at: Fixtures.at(921)),
        ])

        var fails = openMachine(.accessKeyRequired)
        _ = fails.timerFired(now: Fixtures.at(10))
        _ = fails.received(frame(2, .authenticate(accessKey: "k")), now: Fixtures.at(19))
        _ = fails.timerFired(now: Fixtures.at(20))
        let failure = ServerMessage.error(ErrorReply(code: .storageFailure, message: "x"))
        #expect(fails.answered(RequestOutcome(reply: failure), now: Fixtures.at(21)) == [
            Fixtures.write(2, failure), Fixtures.notice(Machine.authenticationTimeoutError), .close,
        ])
    }

    @Test func noAuthenticationDeadlineWithAnAnonymousTenantOrOnTheAdminSocket() {
        for admission in [Machine.Admission.anonymousTenant, .adminSocket] {
            var machine = openMachine(admission)
            #expect(machine.timerFired(now: Fixtures.at(10)) == [.scheduleTimer(at: Fixtures.at(900))])
        }
    }

    @Test func theIdleDeadlineCountsFromTheLastFrameOrReply() {
        var machine = openMachine()
        _ = machine.timerFired(now: Fixtures.at(10))  // handshake timer, re-armed for idle at 900
        _ = machine.received(frame(2, .validate(licenseKey: "A")), now: Fixtures.at(100))
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated), now: Fixtures.at(200)) == [Fixtures.write(2, Fixtures.validated)], "the armed timer is early, so it stays")
        #expect(machine.timerFired(now: Fixtures.at(900)) == [.scheduleTimer(at: Fixtures.at(1_100))])
        #expect(machine.timerFired(now: Fixtures.at(1_100)) == [Fixtures.notice(Machine.idleTimeoutError), .close])
    }

    @Test func noIdleCloseWhileARequestIsInFlight() {
        var machine = openMachine()
        _ = machine.timerFired(now: Fixtures.at(10))
        #expect(machine.received(frame(2, .validate(licenseKey: "A")), now: Fixtures.at(10)) == [.dispatch(.validate(licenseKey: "A"))])
        #expect(machine.timerFired(now: Fixtures.at(900)) == [], "nothing left to wait for but the reply")
        #expect(machine.answered(RequestOutcome(reply: Fixtures.validated), now: Fixtures.at(2_000)) == [
            Fixtures.write(2, Fixtures.validated), .scheduleTimer(at: Fixtures.at(2_900)),
        ])
    }
}
