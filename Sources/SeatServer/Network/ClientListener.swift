import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SeatProtocol
import ServiceLifecycle

/// Accepts TLS client connections and serves the seat protocol on each (see
/// `ConnectionServer`). On graceful shutdown it stops accepting, lets every connection
/// finish the request in hand, and returns.
///
/// Connection settings and the TLS context are read when a connection is accepted, so a
/// SIGHUP reload applies to new connections and leaves open ones as they are.
final class ClientListener: Service {
    /// What a new connection is set up with; replaced by a SIGHUP reload.
    struct ConnectionSettings: Sendable {
        var maximumFrameBytes: Int
        var handshakeTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var serverInfo: ConnectionStateMachine.ServerInfo
        /// Who a connection acts for before it authenticates; `nil` requires Authenticate.
        var anonymousTenant: String?
    }

    private let host: String
    private let port: Int
    private let connectionSettings: LiveValue<ConnectionSettings>
    private let tlsContext: LiveValue<NIOSSLContext>
    private let server: ConnectionServer
    private let limiter: ConnectionLimiter
    private let metrics: SeatMetrics
    private let logger: Logger
    private let onListening: @Sendable (SocketAddress) -> Void

    init(
        host: String,
        port: Int,
        connectionSettings: LiveValue<ConnectionSettings>,
        tlsContext: LiveValue<NIOSSLContext>,
        limiter: ConnectionLimiter,
        server: ConnectionServer,
        metrics: SeatMetrics,
        logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void
    ) {
        self.host = host
        self.port = port
        self.connectionSettings = connectionSettings
        self.tlsContext = tlsContext
        self.server = server
        self.limiter = limiter
        self.metrics = metrics
        self.logger = logger
        self.onListening = onListening
    }

    func run() async throws {
        let listener = try await bind()
        if let address = listener.channel.localAddress {
            logger.notice("listening", metadata: ["address": "\(address.ipAddress ?? host):\(address.port ?? port)"])
            onListening(address)
        }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { connections in
                    for try await connection in connections {
                        let anonymousTenant = connectionSettings.value.anonymousTenant
                        group.addTask { await self.server.serve(connection, principal: anonymousTenant.map(Principal.anonymous)) }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
        logger.info("listener stopped")
    }

    private func bind() async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ServerFrame>, Never> {
        let connectionSettings = self.connectionSettings
        let tlsContext = self.tlsContext
        let limiter = self.limiter
        let metrics = self.metrics
        let logger = self.logger
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard limiter.tryAcquire() else {
                        metrics.connectionsRefused.increment()
                        logger.warning("connection refused: max_connections reached", metadata: ["limit": "\(limiter.limit)"])
                        // A failed initializer alone leaves the socket open and unread.
                        channel.close(promise: nil)
                        throw ConnectionLimitReached()
                    }
                    channel.closeFuture.whenComplete { _ in limiter.release() }
                    let settings = connectionSettings.value
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLServerHandler(context: tlsContext.value))
                    try pipeline.addHandler(TLSHandshakeObserver(metrics: metrics))
                    try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrameBytes: settings.maximumFrameBytes)))
                    try pipeline.addHandler(MessageToByteHandler(ServerFrameEncoder()))
                    try pipeline.addHandler(IdleStateHandler(readTimeout: settings.idleTimeout))
                    try pipeline.addHandler(ConnectionDeadlineHandler(handshakeTimeout: settings.handshakeTimeout))
                    return try NIOAsyncChannel<ByteBuffer, ServerFrame>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
