import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SeatProtocol
import ServiceLifecycle

/// Accepts TLS client connections and serves the seat protocol on each, one request at a
/// time per connection (so replies keep request order). On graceful shutdown it stops
/// accepting, lets every connection finish the request in hand, and returns.
final class ClientListener: Service {
    struct Settings {
        var host: String
        var port: Int
        var maximumFrameBytes: Int
        var handshakeTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var maxConnections: Int
        var serverInfo: ConnectionStateMachine.ServerInfo
    }

    private let settings: Settings
    private let tlsContext: NIOSSLContext
    private let dispatcher: RequestDispatcher
    private let limiter: ConnectionLimiter
    private let logger: Logger
    private let onListening: @Sendable (SocketAddress) -> Void

    init(settings: Settings, tlsContext: NIOSSLContext, service: SeatService, logger: Logger, onListening: @escaping @Sendable (SocketAddress) -> Void) {
        self.settings = settings
        self.tlsContext = tlsContext
        self.dispatcher = RequestDispatcher(service: service)
        self.limiter = ConnectionLimiter(limit: settings.maxConnections)
        self.logger = logger
        self.onListening = onListening
    }

    func run() async throws {
        let listener = try await bind()
        if let address = listener.channel.localAddress {
            logger.notice("listening", metadata: ["address": "\(address.ipAddress ?? settings.host):\(address.port ?? settings.port)"])
            onListening(address)
        }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
        logger.info("listener stopped")
    }

    private func bind() async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ServerFrame>, Never> {
        let settings = self.settings
        let tlsContext = self.tlsContext
        let limiter = self.limiter
        let logger = self.logger
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard limiter.tryAcquire() else {
                        logger.warning("connection refused: max_connections reached", metadata: ["limit": "\(limiter.limit)"])
                        // A failed initializer alone leaves the socket open and unread.
                        channel.close(promise: nil)
                        throw ConnectionLimitReached()
                    }
                    channel.closeFuture.whenComplete { _ in limiter.release() }
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLServerHandler(context: tlsContext))
                    try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrameBytes: settings.maximumFrameBytes)))
                    try pipeline.addHandler(MessageToByteHandler(ServerFrameEncoder()))
                    try pipeline.addHandler(IdleStateHandler(readTimeout: settings.idleTimeout))
                    try pipeline.addHandler(ConnectionDeadlineHandler(handshakeTimeout: settings.handshakeTimeout))
                    return try NIOAsyncChannel<ByteBuffer, ServerFrame>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ServerFrame>) async {
        let peer = connection.channel.remoteAddress?.ipAddress ?? "unknown"
        do {
            try await connection.executeThenClose { inbound, outbound in
                var machine = ConnectionStateMachine(info: settings.serverInfo)
                do {
                    for try await body in inbound.cancelOnGracefulShutdown() {
                        switch machine.received(Result { () throws(WireError) in try ClientFrame(decoding: body) }) {
                        case .reply(let frame):
                            try await outbound.write(frame)
                        case .replyAndClose(let frame):
                            try await outbound.write(frame)
                            return
                        case .dispatch(let requestID, let message):
                            let reply = await dispatcher.respond(to: message, peerAddress: peer)
                            try await outbound.write(ServerFrame(requestID: requestID, message: reply))
                        }
                    }
                    if Task.isShuttingDownGracefully {
                        try await outbound.write(ServerFrame(
                            requestID: WireConstants.serverPushRequestID,
                            message: .error(ErrorReply(code: .shuttingDown, message: "the server is shutting down"))
                        ))
                    }
                } catch let error as WireError {
                    // A framing error: the byte stream cannot be resynchronised, so say why and close.
                    logger.info("closing connection after a framing error", metadata: ["peer": "\(peer)", "error": "\(error.reason)"])
                    try await outbound.write(ConnectionStateMachine.error(error))
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }
}
