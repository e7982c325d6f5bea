import NIOCore
import NIOPosix
import NIOSSL
import SeatCore
import SeatProtocol

/// One TLS connection to a seat server, Hello done. Requests may be issued concurrently
/// from any task; they are pipelined on the connection and matched by request id.
public final class SeatConnection: Sendable {
    private let channel: any Channel
    private let requestTimeout: TimeAmount
    /// What the server said in HelloAccepted: protocol version, lease and heartbeat interval.
    public let server: HelloAccepted

    private init(channel: any Channel, requestTimeout: TimeAmount, server: HelloAccepted) {
        self.channel = channel
        self.requestTimeout = requestTimeout
        self.server = server
    }

    /// Connects to the configured servers in order and returns the first connection that
    /// completes TLS (verifying the server against the configured CA) and Hello. When every
    /// server fails, throws the last server's error.
    public static func connect(
        _ configuration: SeatClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SeatConnection {
        var lastError: (any Error)?
        for endpoint in configuration.servers {
            do {
                return try await connect(to: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup)
            } catch let error as SeatClientError where error == .trustRootsUnreadable(configuration.trustRootsFile) {
                // The same for every server: no point trying the others.
                throw error
            } catch {
                lastError = error
            }
        }
        throw lastError ?? SeatClientError.connectionClosed
    }

    /// Connects to one server, completes TLS (verifying the server against the
    /// configuration's CA) and Hello, using the configuration's timeouts.
    public static func connect(
        to endpoint: ServerEndpoint,
        configuration: SeatClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SeatConnection {
        let tlsContext = try configuration.makeTLSContext()
        let hostname = endpoint.verificationHostname
        let channel = try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.nanoseconds)))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: hostname))
                    try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrameBytes: WireConstants.defaultMaximumFrameBytes)))
                    try pipeline.addHandler(MessageToByteHandler(ClientFrameEncoder()))
                    try pipeline.addHandler(ResponseRouter())
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .get()
        // The Hello's timeout starts when it is written, before the TLS handshake, so it
        // also bounds a handshake that never completes.
        let timeout = TimeAmount.nanoseconds(Int64(configuration.requestTimeout.nanoseconds))
        do {
            let hello = Hello(minimumVersion: WireConstants.supportedVersions.lowerBound, maximumVersion: WireConstants.supportedVersions.upperBound, clientName: configuration.clientName)
            let reply = try await send(.hello(hello), on: channel, timeout: timeout)
            guard case .helloAccepted(let accepted) = reply else { throw unexpected(reply) }
            return SeatConnection(channel: channel, requestTimeout: timeout, server: accepted)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Asks for a seat. Throws `ErrorReply` when refused (e.g. code `.noSeats` with its detail).
    public func acquire(licenseKey: String, user: String, hostname: String, hardwareID: String, clientVersion: String) async throws -> AcquireGrant {
        let request = AcquireRequest(licenseKey: licenseKey, user: user, hostname: hostname, hardwareID: hardwareID, clientVersion: clientVersion)
        guard case .acquired(let grant) = try await expectSuccess(.acquire(request)) else { throw SeatClientError.unexpectedReply("not Acquired") }
        return grant
    }

    /// Renews a session's lease. Throws `ErrorReply` when the session has ended
    /// (`sessionExpired`, `sessionReleased`, `sessionRevoked`, `unknownSession`) or its
    /// license can no longer be used.
    public func heartbeat(_ token: SessionToken) async throws -> HeartbeatAccepted {
        guard case .heartbeatAccepted(let accepted) = try await expectSuccess(.heartbeat(token)) else { throw SeatClientError.unexpectedReply("not HeartbeatAccepted") }
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

    /// Sends any message and returns the server's reply as is, errors included.
    public func send(_ message: ClientMessage) async throws -> ServerMessage {
        try await Self.send(message, on: channel, timeout: requestTimeout)
    }

    /// Closes the connection; requests still in flight fail with ``SeatClientError/connectionClosed``.
    public func close() async {
        try? await channel.close()
    }

    private func expectSuccess(_ message: ClientMessage) async throws -> ServerMessage {
        let reply = try await send(message)
        if case .error(let error) = reply { throw error }
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
