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

    /// Connects, completes TLS (verifying the server against the configured CA) and Hello.
    public static func connect(
        _ configuration: SeatClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SeatConnection {
        let tlsContext = try configuration.makeTLSContext()
        let hostname = configuration.verificationHostname
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
            .connect(host: configuration.host, port: configuration.port)
            .get()
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

    public func heartbeat(_ token: SessionToken) async throws -> HeartbeatAccepted {
        guard case .heartbeatAccepted(let accepted) = try await expectSuccess(.heartbeat(token)) else { throw SeatClientError.unexpectedReply("not HeartbeatAccepted") }
        return accepted
    }

    public func release(_ token: SessionToken) async throws -> ReleaseResult {
        guard case .released(let result) = try await expectSuccess(.release(token)) else { throw SeatClientError.unexpectedReply("not Released") }
        return result
    }

    public func validate(licenseKey: String) async throws -> ValidateResult {
        guard case .validated(let result) = try await expectSuccess(.validate(licenseKey: licenseKey)) else { throw SeatClientError.unexpectedReply("not Validated") }
        return result
    }

    /// Sends any message and returns the server's reply as is, errors included.
    public func send(_ message: ClientMessage) async throws -> ServerMessage {
        try await Self.send(message, on: channel, timeout: requestTimeout)
    }

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
