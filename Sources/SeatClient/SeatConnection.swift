import NIOCore
import NIOPosix
import NIOSSL
import SeatCore
import SeatProtocol
import Synchronization

/// One connection to a seat server, Hello (and Authenticate, with an access key) done.
/// Requests may be issued concurrently from any task; they are pipelined on the connection
/// and matched by request id.
public final class SeatConnection: Sendable {
    private let channel: any Channel
    private let requestTimeout: TimeAmount
    /// The server as its refusals name it (`host:port`, or the admin socket's path).
    private let peer: String
    /// Unique among the connections of this process, so that an event about a closed
    /// connection is never taken for its successor (an `ObjectIdentifier` is reused once
    /// the object is freed, and a lease replaces a standby's connection at once).
    let number = SeatConnection.numbers.wrappingAdd(1, ordering: .relaxed).newValue
    private static let numbers = Atomic<UInt64>(0)
    /// What the server said in HelloAccepted: protocol version, lease and heartbeat interval.
    public let server: HelloAccepted
    /// What the server said in Authenticated (the tenant and role of the access key), or
    /// nil when the connection did not authenticate.
    public let authenticated: Authenticated?
    /// SessionRevoked notices (protocol-spec.md 7.9) the server pushes on this connection:
    /// a session it used was force-released, or its license revoked or deleted. Buffered
    /// from the moment the connection opens, so none is missed; the stream ends when the
    /// connection closes. One reader only (it is a single `AsyncStream`).
    public let revocations: AsyncStream<SessionRevokedNotice>
    /// News of this connection's waiting acquires (``acquireOrWait(licenseKey:user:hostname:hardwareID:clientVersion:)``):
    /// place changes, the pushed grant, or the end of the wait. Ends when the connection closes.
    public let queueNews: AsyncStream<QueueNews>

    private init(channel: any Channel, requestTimeout: TimeAmount, peer: String, server: HelloAccepted, authenticated: Authenticated?, revocations: AsyncStream<SessionRevokedNotice>, queueNews: AsyncStream<QueueNews>) {
        self.channel = channel
        self.requestTimeout = requestTimeout
        self.peer = peer
        self.server = server
        self.authenticated = authenticated
        self.revocations = revocations
        self.queueNews = queueNews
    }

    /// Connects to the configured servers in order and returns the first connection that
    /// completes TLS (verifying the server against the configured CA), Hello and, with an
    /// access key, Authenticate. A standby refusing Authenticate with `notActive` is left
    /// for the active node it names, if configured (protocol-spec.md 9b). When every server
    /// fails, throws the last server's error.
    public static func connect(
        _ configuration: SeatClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SeatConnection {
        try await connectToActive(configuration, eventLoopGroup: eventLoopGroup) { _ in }.connection
    }

    /// Like ``connect(_:eventLoopGroup:)``, and sends `firstRequest` there: a server that
    /// answers it (or Authenticate) with `notActive` is a standby, left at once for the
    /// active node it names if that is a configured server, else for the next server not
    /// yet tried (protocol-spec.md 9b). When every server was tried, throws the last
    /// failure (a `notActive` refusal when all were standbys). A standby changed nothing,
    /// so `firstRequest` is sent again on the next server: make it one request (or
    /// idempotent ones). Returns the connection, which the caller closes, and the result.
    public static func connectToActive<Result>(
        _ configuration: SeatClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        firstRequest: (SeatConnection) async throws -> Result
    ) async throws -> (connection: SeatConnection, result: Result) {
        try await connectToActive(
            configuration, maximumFrameBytes: WireConstants.defaultMaximumFrameBytes, refusalEndsSearch: false,
            eventLoopGroup: eventLoopGroup, firstRequest: firstRequest
        )
    }

    /// `refusalEndsSearch`: a refused Authenticate (other than `notActive`) is thrown at
    /// once instead of trying the other servers.
    static func connectToActive<Result>(
        _ configuration: SeatClientConfiguration,
        maximumFrameBytes: Int,
        refusalEndsSearch: Bool,
        eventLoopGroup: any EventLoopGroup,
        firstRequest: (SeatConnection) async throws -> Result
    ) async throws -> (connection: SeatConnection, result: Result) {
        var round = ServerRound(servers: configuration.servers)
        var next: Int? = 0
        var lastError: any Error = SeatClientError.connectionClosed
        while let server = next {
            let connection: SeatConnection
            do {
                connection = try await connect(
                    to: configuration.servers[server], configuration: configuration, maximumFrameBytes: maximumFrameBytes, eventLoopGroup: eventLoopGroup
                )
            } catch let error as SeatClientError where error == .trustRootsUnreadable(configuration.trustRootsFile) {
                // The same for every server: no point trying the others.
                throw error
            } catch let reply as ErrorReply where refusalEndsSearch && reply.activeNode == nil {
                throw reply
            } catch {
                lastError = error
                next = round.next(after: server, activeNode: (error as? ErrorReply)?.activeNode)
                continue
            }
            do {
                return (connection, try await firstRequest(connection))
            } catch let reply as ErrorReply where reply.activeNode != nil {
                await connection.close()
                lastError = reply
                next = round.next(after: server, activeNode: reply.activeNode)
            } catch {
                await connection.close()
                throw error
            }
        }
        throw lastError
    }

    /// Connects to one server, completes TLS (verifying the server against the
    /// configuration's CA), Hello and, with `configuration.accessKey`, Authenticate, using
    /// the configuration's timeouts. A refused key is thrown as `ErrorReply`
    /// (`authenticationFailed`, or `authenticationThrottled` with a `.retryAfter` detail);
    /// the server closes the connection after either.
    public static func connect(
        to endpoint: ServerEndpoint,
        configuration: SeatClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SeatConnection {
        try await connect(to: endpoint, configuration: configuration, maximumFrameBytes: WireConstants.defaultMaximumFrameBytes, eventLoopGroup: eventLoopGroup)
    }

    /// `maximumFrameBytes` bounds the replies accepted: admin replies (whole lists, audit
    /// pages) are larger than seat replies.
    static func connect(
        to endpoint: ServerEndpoint,
        configuration: SeatClientConfiguration,
        maximumFrameBytes: Int,
        eventLoopGroup: any EventLoopGroup
    ) async throws -> SeatConnection {
        let tlsContext = try configuration.makeTLSContext()
        let hostname = endpoint.verificationHostname
        let (revocations, revocationSink) = AsyncStream<SessionRevokedNotice>.makeStream(bufferingPolicy: .bufferingNewest(Self.revocationBuffer))
        let (queueNews, queueNewsSink) = AsyncStream<QueueNews>.makeStream(bufferingPolicy: .bufferingNewest(Self.revocationBuffer))
        let recorder = FirstErrorRecorder()
        do {
            let channel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.nanoseconds)))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: hostname))
                        try channel.pipeline.syncOperations.addHandler(recorder)
                        try addFraming(to: channel, maximumFrameBytes: maximumFrameBytes, revocations: revocationSink, queueNews: queueNewsSink)
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
                .get()
            // The Hello's timeout starts when it is written, before the TLS handshake, so it
            // also bounds a handshake that never completes.
            return try await greet(
                on: channel, peer: "\(endpoint)", revocations: revocations, queueNews: queueNews, clientName: configuration.clientName, accessKey: configuration.accessKey,
                timeout: .nanoseconds(Int64(configuration.requestTimeout.nanoseconds))
            )
        } catch let reply as ErrorReply {
            throw reply.naming(standby: "\(endpoint)")  // the server answered: a refusal, not a connection failure
        } catch SeatClientError.timedOut {
            throw SeatClientError.timedOut
        } catch {
            throw ConnectionFailure.explaining(recorder.error ?? error, server: "\(endpoint)", caFile: configuration.trustRootsFile)
        }
    }

    /// Connects to a server's admin Unix-domain socket (no TLS: whoever may open the socket
    /// file is an administrator) and completes Hello.
    public static func connect(
        unixDomainSocketPath path: String,
        clientName: String,
        requestTimeout: Duration = .seconds(15),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SeatConnection {
        let (revocations, revocationSink) = AsyncStream<SessionRevokedNotice>.makeStream(bufferingPolicy: .bufferingNewest(Self.revocationBuffer))
        let (queueNews, queueNewsSink) = AsyncStream<QueueNews>.makeStream(bufferingPolicy: .bufferingNewest(Self.revocationBuffer))
        let channel = try await ClientBootstrap(group: eventLoopGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try addFraming(to: channel, maximumFrameBytes: Self.adminMaximumFrameBytes, revocations: revocationSink, queueNews: queueNewsSink)
                }
            }
            .connect(unixDomainSocketPath: path)
            .get()
        return try await greet(
            on: channel, peer: path, revocations: revocations, queueNews: queueNews, clientName: clientName, accessKey: nil,
            timeout: .nanoseconds(Int64(requestTimeout.nanoseconds))
        )
    }

    /// Frames, the encoder and the router, after TLS when there is TLS.
    private static func addFraming(
        to channel: any Channel, maximumFrameBytes: Int, revocations: AsyncStream<SessionRevokedNotice>.Continuation, queueNews: AsyncStream<QueueNews>.Continuation
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrameBytes: maximumFrameBytes)))
        try pipeline.addHandler(MessageToByteHandler(ClientFrameEncoder()))
        try pipeline.addHandler(ResponseRouter(revocations: revocations, queueNews: queueNews))
    }

    /// Hello, then Authenticate when there is an access key; closes the channel on failure.
    private static func greet(
        on channel: any Channel, peer: String, revocations: AsyncStream<SessionRevokedNotice>, queueNews: AsyncStream<QueueNews>, clientName: String, accessKey: String?, timeout: TimeAmount
    ) async throws -> SeatConnection {
        do {
            let hello = Hello(minimumVersion: WireConstants.supportedVersions.lowerBound, maximumVersion: WireConstants.supportedVersions.upperBound, clientName: clientName)
            let reply = try await send(.hello(hello), on: channel, timeout: timeout)
            guard case .helloAccepted(let accepted) = reply else { throw unexpected(reply) }
            var authenticated: Authenticated?
            if let accessKey {
                // authenticationFailed and authenticationThrottled arrive as ErrorReply.
                let answer = try await send(.authenticate(accessKey: accessKey), on: channel, timeout: timeout)
                guard case .authenticated(let principal) = answer else { throw unexpected(answer) }
                authenticated = principal
            }
            return SeatConnection(channel: channel, requestTimeout: timeout, peer: peer, server: accepted, authenticated: authenticated, revocations: revocations, queueNews: queueNews)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Notices kept for a reader that has not caught up; a lease holds one session per
    /// connection, so a handful is plenty, and the oldest are the least useful.
    private static var revocationBuffer: Int { 64 }

    /// The largest admin reply accepted: the protocol's limit on admin JSON plus the
    /// frame header and the JSON length.
    static var adminMaximumFrameBytes: Int { WireLimits.adminJSON.upperBound + 9 }

    /// Asks for a seat. Throws `ErrorReply` when refused (e.g. code `.noSeats` with its detail).
    public func acquire(licenseKey: String, user: String, hostname: String, hardwareID: String, clientVersion: String) async throws -> AcquireGrant {
        let request = AcquireRequest(licenseKey: licenseKey, user: user, hostname: hostname, hardwareID: hardwareID, clientVersion: clientVersion)
        guard case .acquired(let grant) = try await expectSuccess(.acquire(request)) else { throw SeatClientError.unexpectedReply("not Acquired") }
        return grant
    }

    /// Asks for a seat, waiting in the license's queue when none can be granted now
    /// (protocol-spec.md 9a): `.queued` with the place, after which ``queueNews`` brings the
    /// grant. Ask again (the same call) at least every heartbeat interval to keep the place;
    /// closing the connection gives it up. Throws `ErrorReply` when refused (`noSeats`
    /// when the queue is full; `unknownMessageType` from a server without a queue).
    public func acquireOrWait(licenseKey: String, user: String, hostname: String, hardwareID: String, clientVersion: String) async throws -> WaitingAcquire {
        let request = AcquireRequest(licenseKey: licenseKey, user: user, hostname: hostname, hardwareID: hardwareID, clientVersion: clientVersion)
        switch try await expectSuccess(.acquireOrWait(request)) {
        case .acquired(let grant): return .acquired(grant)
        case .queued(let place): return .queued(place)
        default: throw SeatClientError.unexpectedReply("neither Acquired nor Queued")
        }
    }

    /// Borrows a seat for offline use for `minutes` (the server caps it at its policy's
    /// maximum; the grant says until when). Returned early with `release(grant.token)`.
    /// Throws `ErrorReply` when refused (`policyDenied` says why a borrow is not allowed).
    public func borrow(licenseKey: String, user: String, hostname: String, hardwareID: String, clientVersion: String, minutes: UInt32) async throws -> BorrowGrant {
        let seat = AcquireRequest(licenseKey: licenseKey, user: user, hostname: hostname, hardwareID: hardwareID, clientVersion: clientVersion)
        guard case .borrowed(let grant) = try await expectSuccess(.borrow(BorrowRequest(seat: seat, durationMinutes: minutes))) else {
            throw SeatClientError.unexpectedReply("not Borrowed")
        }
        return grant
    }

    /// Renews a session's lease. Throws `ErrorReply` when the session has ended
    /// (`sessionExpired`, `sessionReleased`, `sessionRevoked`, `unknownSession`) or its
    /// license can no longer be used. `timeout` replaces the connection's request timeout
    /// (a lease waits no longer than its lease has left).
    public func heartbeat(_ token: SessionToken, timeout: Duration? = nil) async throws -> HeartbeatAccepted {
        let wait = timeout.map { TimeAmount.nanoseconds($0.nanoseconds) } ?? requestTimeout
        guard case .heartbeatAccepted(let accepted) = try await expectSuccess(.heartbeat(token), timeout: wait) else { throw SeatClientError.unexpectedReply("not HeartbeatAccepted") }
        return accepted
    }

    /// Ends a session and frees its seat; idempotent (an ended session answers `ended == false`).
    public func release(_ token: SessionToken) async throws -> ReleaseResult {
        guard case .released(let result) = try await expectSuccess(.release(token)) else { throw SeatClientError.unexpectedReply("not Released") }
        return result
    }

    /// Checks a license and reads its seat counts without taking a seat.
    public func validate(licenseKey: String) async throws -> ValidateResult {
        guard case .validated(let result) = try await expectSuccess(.validate(licenseKey: licenseKey)) else { throw SeatClientError.unexpectedReply("not Validated") }
        return result
    }

    /// Sends an administrative operation (admin socket, or a connection authenticated with
    /// an admin key) and returns the reply's JSON. Throws `ErrorReply` when refused
    /// (`notAuthorized`, `invalidAdminRequest`, `notFound`, `conflict`, ...).
    public func admin(_ request: AdminRequest) async throws -> String {
        guard case .adminReply(let json) = try await expectSuccess(.admin(request)) else { throw SeatClientError.unexpectedReply("not AdminReply") }
        return json
    }

    /// Sends any message and returns the server's reply as is, errors included.
    public func send(_ message: ClientMessage) async throws -> ServerMessage {
        try await Self.send(message, on: channel, timeout: requestTimeout)
    }

    /// Closes the connection; requests still in flight fail with ``SeatClientError/connectionClosed``.
    public func close() async {
        try? await channel.close()
    }

    private func expectSuccess(_ message: ClientMessage, timeout: TimeAmount? = nil) async throws -> ServerMessage {
        let reply = try await Self.send(message, on: channel, timeout: timeout ?? requestTimeout)
        if case .error(let error) = reply { throw error.naming(standby: peer) }
        return reply
    }

    private static func send(_ message: ClientMessage, on channel: any Channel, timeout: TimeAmount) async throws -> ServerMessage {
        let promise = channel.eventLoop.makePromise(of: ServerMessage.self)
        // A write that fails before reaching the router (channel already closed) fails the request too.
        channel.writeAndFlush(ResponseRouter.PendingRequest(message: message, promise: promise, timeout: timeout)).whenFailure { error in
            promise.fail(error)
        }
        return try await promise.futureResult.get()
    }

    private static func unexpected(_ reply: ServerMessage) -> any Error {
        if case .error(let error) = reply { return error }
        return SeatClientError.unexpectedReply("\(reply)")
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// What an AcquireOrWait got.
public enum WaitingAcquire: Sendable, Equatable {
    case acquired(AcquireGrant)
    /// Queued: the server pushes the grant when the seat is this request's.
    case queued(QueuePlace)
}

/// A push about a waiting acquire of the connection.
public enum QueueNews: Sendable, Equatable {
    case moved(QueuePositionNotice)
    case granted(QueueGrantNotice)
    case ended(WaitEndedNotice)
}
