import NIOCore
import SeatCore
import SeatProtocol

/// Every rule of one connection, without I/O: TLS, then Hello and version negotiation,
/// authentication, the admin gate, the handshake, authentication and idle deadlines, one
/// request dispatched at a time with replies in request order, backpressure on a queue of
/// received frames and on the channel's writability, close-after-reply, the shutdown
/// notice, and the ordering of server pushes behind the reply they must not overtake.
///
/// The channel handler feeds it events (with the event loop's time) and carries out the
/// actions it returns, in order.
struct ConnectionStateMachine {
    struct ServerInfo: Equatable {
        var maximumFrameBytes: UInt32
        var leaseMilliseconds: UInt32
        var heartbeatIntervalMilliseconds: UInt32
        var serverName: String
    }

    /// Who a connection acts for before it authenticates.
    enum Admission: Equatable {
        /// Nobody: seat requests wait for a successful Authenticate, which must come within
        /// the authentication timeout.
        case accessKeyRequired
        /// The anonymous tenant; Authenticate (once) switches to the key's tenant.
        case anonymousTenant
        /// The admin socket: an administrator, whom Authenticate (once) turns into the key's principal.
        case adminSocket
    }

    struct Configuration: Equatable {
        var info: ServerInfo
        var admission: Admission
        /// `false` on the admin socket, whose connections need no handshake before Hello.
        var usesTLS: Bool
        var handshakeTimeout: TimeAmount
        var authenticationTimeout: TimeAmount
        var idleTimeout: TimeAmount
        /// Received frames held while a request is in flight; at the budget, reading stops.
        var queuedFrameBudget = 16
        /// The largest frame body read before the connection may make seat requests (before
        /// Hello, and until Authenticate succeeds when a key is required): a client that has
        /// not proven anything gets no more buffer than its Hello and Authenticate need.
        var preAuthenticationFrameBytes = Self.defaultPreAuthenticationFrameBytes
        /// A frame whose first bytes have arrived must be complete within this, so a client
        /// trickling a body cannot hold its buffer until the idle timeout.
        var frameTimeout: TimeAmount = .seconds(10)

        /// Twice the largest v1 request a client sends before authenticating (Authenticate,
        /// or a 974-byte Acquire refused with `authenticationRequired`), and above the
        /// 1,024 bytes every server maximum must allow.
        static let defaultPreAuthenticationFrameBytes = 4_096
    }

    enum Action: Equatable {
        case write(ServerFrame)
        /// Hand the request to the responder; its outcome comes back through `answered`.
        case dispatch(ClientMessage)
        /// Flush what was written and close; nothing more is sent.
        case close
        /// Call `timerFired` at this time (replacing the timer set before, if any).
        case scheduleTimer(at: NIODeadline)
        case cancelTimer
        case stopReading
        case resumeReading
    }

    /// Where the connection is in its life.
    enum Stage: Equatable {
        /// Accepted; the TLS handshake has not completed.
        case accepted
        /// Frames can flow; the first must be Hello.
        case awaitingHello
        /// Hello accepted; requests are answered for `Standing`.
        case open(Standing)
        /// Told to close; every later event is ignored.
        case closing
        /// The channel is closed.
        case closed
    }

    /// Who an open connection acts for.
    enum Standing: Equatable {
        /// Must authenticate before any seat request.
        case unauthenticated
        /// Acts for the anonymous tenant; may still authenticate.
        case anonymous
        /// Acts as an administrator by way of the admin socket; may still authenticate.
        case adminSocket
        /// Authenticated with a client key.
        case client
        /// Authenticated with an admin key.
        case administrator

        var mayAuthenticate: Bool { self == .unauthenticated || self == .anonymous || self == .adminSocket }
        var mayAdminister: Bool { self == .adminSocket || self == .administrator }
    }

    /// A frame the handler handed over, waiting for its turn.
    private enum Received {
        case frame(ClientFrame)
        /// A frame whose body did not decode; its stream is still in step.
        case undecodable(WireError)
        /// The byte stream broke (bad length header): answered, then the connection closes.
        case streamFailed(WireError)
    }

    /// The request whose reply is awaited.
    private struct InFlight {
        var requestID: UInt32
        var isAuthenticate: Bool
        /// The session token the reply may concern: a push for it waits for the reply.
        var concerns: TokenScope
    }

    private enum TokenScope {
        case none
        case token(SessionToken)
        /// An Acquire: its reply names a session the server picks (possibly an existing
        /// one it re-attaches), so every push waits for it.
        case anyToken

        func covers(_ token: SessionToken) -> Bool {
            switch self {
            case .none: false
            case .token(let concerned): concerned == token
            case .anyToken: true
            }
        }

        var coversEveryToken: Bool {
            if case .anyToken = self { return true }
            return false
        }
    }

    private(set) var stage: Stage
    /// The request id of the request whose reply is awaited.
    var inFlightRequestID: UInt32? { inFlight?.requestID }
    private(set) var negotiatedVersion: UInt16?
    private let configuration: Configuration

    private var queue: [Received] = []
    private var inFlight: InFlight?
    private var heldPushes: [ServerMessage] = []
    private var writable = true
    private var readingStopped = false
    private var streamFailed = false
    private var shuttingDown = false

    private var handshakeDeadline: NIODeadline?
    private var authenticationDeadline: NIODeadline?
    /// The authentication deadline passed while an Authenticate was in flight: its outcome decides.
    private var authenticationOverdue = false
    /// When the frame whose first bytes have arrived must be complete; `nil` with no partial
    /// frame, or while reading is stopped (the wait is then the server's, not the client's).
    private var frameDeadline: NIODeadline?
    /// The last frame received or reply written; the idle deadline counts from it.
    private var lastActivity: NIODeadline
    private var timer: NIODeadline?

    init(configuration: Configuration, now: NIODeadline) {
        self.configuration = configuration
        stage = configuration.usesTLS ? .accepted : .awaitingHello
        lastActivity = now
        handshakeDeadline = now + configuration.handshakeTimeout
        if configuration.admission == .accessKeyRequired {
            authenticationDeadline = now + configuration.authenticationTimeout
        }
    }

    // MARK: Events

    /// The channel is active: arm the first deadline.
    mutating func opened() -> [Action] {
        var actions: [Action] = []
        updateTimer(&actions)
        return actions
    }

    mutating func tlsEstablished() -> [Action] {
        if stage == .accepted { stage = .awaitingHello }
        return []
    }

    /// A frame arrived; `.failure` when its body did not decode.
    mutating func received(_ decoded: Result<ClientFrame, WireError>, now: NIODeadline) -> [Action] {
        guard isOpenForInput else { return [] }
        switch decoded {
        case .success(let frame): return enqueue(.frame(frame), now: now)
        case .failure(let error): return enqueue(.undecodable(error), now: now)
        }
    }

    /// The handler split what had arrived into frames: `pending` when an incomplete frame is
    /// left over. A started frame gets `frameTimeout` to complete, counted while reading.
    mutating func partialFrame(pending: Bool, now: NIODeadline) -> [Action] {
        guard isOpenForInput else { return [] }
        guard pending else {
            frameDeadline = nil  // a timer armed for it fires early and re-arms
            return []
        }
        guard frameDeadline == nil, !readingStopped else { return [] }
        frameDeadline = now + configuration.frameTimeout
        var actions: [Action] = []
        updateTimer(&actions)
        return actions
    }

    /// Whether the connection has yet to earn seat requests: before Hello, or (when a key is
    /// required) before Authenticate succeeds. Such a connection reads only small frames
    /// (`frameLimit`) and counts against the listener's unauthenticated caps.
    var isPreAuthentication: Bool {
        switch stage {
        case .accepted, .awaitingHello: true
        case .open(let standing): standing == .unauthenticated
        case .closing, .closed: false
        }
    }

    /// The largest frame body to read now.
    var frameLimit: Int {
        isPreAuthentication ? min(configuration.preAuthenticationFrameBytes, Int(configuration.info.maximumFrameBytes)) : Int(configuration.info.maximumFrameBytes)
    }

    /// The byte stream cannot be split into frames any more (a bad length header).
    mutating func streamFailed(_ error: WireError, now: NIODeadline) -> [Action] {
        guard isOpenForInput else { return [] }
        streamFailed = true
        return enqueue(.streamFailed(error), now: now)
    }

    /// The version replies and pushes are written in: the negotiated one, or the oldest
    /// before a Hello settled it.
    private var spokenVersion: UInt16 { negotiatedVersion ?? WireConstants.supportedVersions.lowerBound }

    /// The responder answered the request in flight.
    mutating func answered(_ outcome: RequestOutcome, now: NIODeadline) -> [Action] {
        guard let request = inFlight, stage != .closing, stage != .closed else { return [] }
        inFlight = nil
        lastActivity = now
        // Replies are made in the newest version; the peer hears what its version has.
        let reply = outcome.reply.spoken(in: spokenVersion)
        var actions: [Action] = [.write(ServerFrame(requestID: request.requestID, message: reply))]
        if request.isAuthenticate, case .authenticated(let authenticated) = outcome.reply {
            stage = .open(authenticated.role == .admin ? .administrator : .client)
            authenticationDeadline = nil
        }
        actions += heldPushesReleased()
        if outcome.closeAfterReply {
            close(with: nil, &actions)
        } else if shuttingDown {
            close(with: Self.shuttingDownError, &actions)
        } else if authenticationOverdue && stage == .open(.unauthenticated) {
            // The Authenticate that held off the deadline did not succeed: no second chance.
            close(with: Self.authenticationTimeoutError, &actions)
        } else {
            drainQueue(now: now, &actions)
        }
        return actions
    }

    /// A server-initiated frame for this connection.
    mutating func push(_ message: ServerMessage) -> [Action] {
        guard stage != .closing, stage != .closed else { return [] }
        // Pushes too (QueueGranted, QueuePosition): the peer hears what its version has.
        let message = message.spoken(in: spokenVersion)
        if let inFlight, Self.push(message, mustWaitFor: inFlight.concerns) {
            heldPushes.append(message)
            return []
        }
        return [.write(ServerFrame(requestID: WireConstants.serverPushRequestID, message: message))]
    }

    /// The channel's writability changed: its buffer of unsent bytes crossed a water mark.
    mutating func writabilityChanged(isWritable: Bool, now: NIODeadline) -> [Action] {
        guard stage != .closing, stage != .closed, writable != isWritable else {
            writable = isWritable
            return []
        }
        writable = isWritable
        var actions: [Action] = []
        drainQueue(now: now, &actions)
        return actions
    }

    /// The timer asked for by `scheduleTimer` went off.
    mutating func timerFired(now: NIODeadline) -> [Action] {
        timer = nil
        guard stage != .closing, stage != .closed else { return [] }
        var actions: [Action] = []
        if let deadline = handshakeDeadline, deadline <= now {
            close(with: Self.handshakeTimeoutError, &actions)
        } else if let deadline = frameDeadline, deadline <= now {
            close(with: Self.frameTimeoutError, &actions)
        } else if let deadline = authenticationDeadline, deadline <= now {
            if inFlight?.isAuthenticate == true {
                authenticationDeadline = nil
                authenticationOverdue = true
                updateTimer(&actions)
            } else {
                close(with: Self.authenticationTimeoutError, &actions)
            }
        } else if inFlight == nil && lastActivity + configuration.idleTimeout <= now {
            close(with: Self.idleTimeoutError, &actions)
        } else {
            updateTimer(&actions)
        }
        return actions
    }

    /// Graceful shutdown: finish the request in hand, then say why and close.
    mutating func beginShutdown() -> [Action] {
        guard stage != .closing, stage != .closed, !shuttingDown else { return [] }
        shuttingDown = true
        queue = []
        var actions: [Action] = []
        if inFlight == nil {
            close(with: Self.shuttingDownError, &actions)
        } else {
            updateReading(&actions)
        }
        return actions
    }

    /// The channel closed, by either side.
    mutating func closed() -> [Action] {
        guard stage != .closed else { return [] }
        stage = .closed
        queue = []
        heldPushes = []
        guard timer != nil else { return [] }
        timer = nil
        return [.cancelTimer]
    }

    // MARK: Rules

    private var isOpenForInput: Bool {
        stage != .closing && stage != .closed && !shuttingDown && !streamFailed
    }

    private mutating func enqueue(_ received: Received, now: NIODeadline) -> [Action] {
        if stage == .accepted { stage = .awaitingHello }  // decrypted bytes: TLS is up
        lastActivity = now
        queue.append(received)
        var actions: [Action] = []
        drainQueue(now: now, &actions)
        return actions
    }

    /// Answers queued frames in order until one must wait for the responder, the channel
    /// stops being writable, or the connection closes; then re-arms the timer and
    /// starts or stops reading.
    private mutating func drainQueue(now: NIODeadline, _ actions: inout [Action]) {
        var next = 0
        while inFlight == nil, writable, stage != .closing, next < queue.count {
            handle(queue[next], &actions)
            next += 1
        }
        guard stage != .closing else { return }  // closing emptied the queue
        if next == queue.count {
            queue = []  // gives the buffer back: an idle connection holds none
        } else if next > 0 {
            queue.removeFirst(next)
        }
        updateTimer(&actions)
        updateReading(&actions)
    }

    private mutating func handle(_ received: Received, _ actions: inout [Action]) {
        switch (stage, received) {
        case (.closing, _), (.closed, _):
            return
        case (_, .streamFailed(let error)):
            actions.append(.write(Self.errorFrame(for: error)))
            close(with: nil, &actions)
        case (.accepted, .undecodable(let error)), (.awaitingHello, .undecodable(let error)):
            actions.append(.write(Self.errorFrame(for: error)))
            close(with: nil, &actions)
        case (.accepted, .frame(let frame)), (.awaitingHello, .frame(let frame)):
            guard case .hello(let hello) = frame.message else {
                actions.append(.write(Self.error(frame.requestID, .helloRequired, "the first message must be Hello")))
                close(with: nil, &actions)
                return
            }
            negotiate(hello, requestID: frame.requestID, &actions)
        case (.open, .undecodable(let error)):
            actions.append(.write(Self.errorFrame(for: error)))
        case (.open(let standing), .frame(let frame)):
            handleRequest(frame, standing: standing, &actions)
        }
    }

    private mutating func negotiate(_ hello: Hello, requestID: UInt32, _ actions: inout [Action]) {
        let supported = WireConstants.supportedVersions
        guard let version = hello.negotiatedVersion(serverSupports: supported) else {
            let reply = ErrorReply(
                code: .unsupportedVersion,
                message: "this server speaks protocol versions \(supported.lowerBound)...\(supported.upperBound)",
                detail: .supportedVersions(minimum: supported.lowerBound, maximum: supported.upperBound)
            )
            actions.append(.write(ServerFrame(requestID: requestID, message: .error(reply))))
            close(with: nil, &actions)
            return
        }
        negotiatedVersion = version
        handshakeDeadline = nil
        let standing: Standing = switch configuration.admission {
        case .accessKeyRequired: .unauthenticated
        case .anonymousTenant: .anonymous
        case .adminSocket: .adminSocket
        }
        stage = .open(standing)
        let info = configuration.info
        actions.append(.write(ServerFrame(requestID: requestID, message: .helloAccepted(HelloAccepted(
            version: version,
            maximumFrameBytes: info.maximumFrameBytes,
            leaseMilliseconds: info.leaseMilliseconds,
            heartbeatIntervalMilliseconds: info.heartbeatIntervalMilliseconds,
            serverName: info.serverName
        )))))
    }

    private mutating func handleRequest(_ frame: ClientFrame, standing: Standing, _ actions: inout [Action]) {
        let id = frame.requestID
        switch frame.message {
        case .hello:
            actions.append(.write(Self.error(id, .unexpectedMessage, "Hello was already received")))
        case .authenticate:
            guard standing.mayAuthenticate else {
                actions.append(.write(Self.error(id, .unexpectedMessage, "this connection is already authenticated")))
                return
            }
            dispatch(frame, isAuthenticate: true, concerns: .none, &actions)
        case .admin:
            guard standing.mayAdminister else {
                actions.append(.write(Self.error(id, .notAuthorized, "admin requests need the admin socket or an admin access key")))
                return
            }
            dispatch(frame, isAuthenticate: false, concerns: .none, &actions)
        case .acquire, .acquireOrWait, .heartbeat, .release, .validate, .borrow:
            guard standing != .unauthenticated else {
                actions.append(.write(Self.error(id, .authenticationRequired, "authenticate with an access key first (SEATD_ACCESS_KEY)")))
                return
            }
            dispatch(frame, isAuthenticate: false, concerns: Self.tokenScope(of: frame.message), &actions)
        }
    }

    private static func tokenScope(of message: ClientMessage) -> TokenScope {
        switch message {
        case .heartbeat(let token), .release(let token): .token(token)
        case .acquire, .acquireOrWait, .borrow: .anyToken
        case .hello, .validate, .authenticate, .admin: .none
        }
    }

    /// Whether `message` must wait for the reply to a request concerning `scope`: a
    /// revocation of its session, or any news of a wait while an acquire is answered (its
    /// reply may be the wait's Queued, or a re-attach to the session the wait was granted).
    private static func push(_ message: ServerMessage, mustWaitFor scope: TokenScope) -> Bool {
        switch message {
        case .sessionRevoked(let notice): scope.covers(notice.token)
        case .queuePosition, .queueGranted, .waitEnded: scope.coversEveryToken
        default: false
        }
    }

    private mutating func dispatch(_ frame: ClientFrame, isAuthenticate: Bool, concerns: TokenScope, _ actions: inout [Action]) {
        inFlight = InFlight(requestID: frame.requestID, isAuthenticate: isAuthenticate, concerns: concerns)
        actions.append(.dispatch(frame.message))
    }

    private mutating func heldPushesReleased() -> [Action] {
        guard !heldPushes.isEmpty else { return [] }
        defer { heldPushes = [] }
        return heldPushes.map { .write(ServerFrame(requestID: WireConstants.serverPushRequestID, message: $0)) }
    }

    /// Writes `notice` (a connection-level error, request id 0) if frames can be written,
    /// then closes.
    private mutating func close(with notice: ErrorReply?, _ actions: inout [Action]) {
        if let notice, stage != .accepted {
            actions.append(.write(ServerFrame(requestID: WireConstants.serverPushRequestID, message: .error(notice))))
        }
        stage = .closing
        queue = []
        heldPushes = []
        actions.append(.close)
        if timer != nil {
            timer = nil
            actions.append(.cancelTimer)
        }
    }

    /// Keeps one timer armed no later than the earliest deadline. Deadlines move with every
    /// frame and request; rather than re-arm for each, a timer that fires early (or with
    /// nothing due) is simply re-armed then, so a request costs no timer operation.
    private mutating func updateTimer(_ actions: inout [Action]) {
        let idleDeadline = inFlight == nil ? lastActivity + configuration.idleTimeout : nil
        guard let earliest = [handshakeDeadline, authenticationDeadline, frameDeadline, idleDeadline].compactMap({ $0 }).min() else { return }
        if let armed = timer, armed <= earliest { return }
        timer = earliest
        actions.append(.scheduleTimer(at: earliest))
    }

    /// Reading stops while the queue is at its budget, the channel is not writable, or a
    /// shutdown is finishing the request in hand.
    private mutating func updateReading(_ actions: inout [Action]) {
        let shouldStop = shuttingDown || streamFailed || !writable || queue.count >= configuration.queuedFrameBudget
        guard shouldStop != readingStopped else { return }
        readingStopped = shouldStop
        // Not reading, the server holds up the frame: its deadline starts again once the
        // handler reads on and still finds it incomplete.
        if shouldStop { frameDeadline = nil }
        actions.append(shouldStop ? .stopReading : .resumeReading)
    }

    // MARK: Frames

    static let handshakeTimeoutError = ErrorReply(code: .idleTimeout, message: "no Hello within the handshake timeout")
    static let authenticationTimeoutError = ErrorReply(code: .authenticationRequired, message: "no Authenticate within the authentication timeout")
    static let idleTimeoutError = ErrorReply(code: .idleTimeout, message: "connection idle for too long")
    static let frameTimeoutError = ErrorReply(code: .idleTimeout, message: "frame not completed within the frame timeout")
    static let shuttingDownError = ErrorReply(code: .shuttingDown, message: "the server is shutting down")

    private static func error(_ requestID: UInt32, _ code: ErrorCode, _ message: String) -> ServerFrame {
        ServerFrame(requestID: requestID, message: .error(ErrorReply(code: code, message: message)))
    }

    /// An error reply for a frame that did not decode; id 0 when its request id was unreadable.
    static func errorFrame(for error: WireError) -> ServerFrame {
        ServerFrame(requestID: error.requestID ?? WireConstants.serverPushRequestID, message: .error(ErrorReply(code: error.code, message: error.reason)))
    }
}
