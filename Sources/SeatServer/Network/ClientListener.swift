import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SeatProtocol
import ServiceLifecycle

/// Accepts TLS client connections and serves the seat protocol on each with a
/// `ConnectionHandler`. On graceful shutdown it stops accepting, lets every connection
/// finish the request in hand, and returns once they have closed.
///
/// Connection settings and the TLS context are read when a connection is accepted, so a
/// SIGHUP reload applies to new connections and leaves open ones as they are.
final class ClientListener: Service {
    /// What a new connection is set up with; replaced by a SIGHUP reload.
    struct ConnectionSettings: Sendable {
        var maximumFrameBytes: Int
        var handshakeTimeout: TimeAmount
        var authenticationTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var serverInfo: ConnectionStateMachine.ServerInfo
        /// Who a connection acts for before it authenticates; `nil` requires Authenticate.
        var anonymousTenant: String?

        /// The rules of a connection accepted with these settings.
        func machineConfiguration(admission: ConnectionStateMachine.Admission, usesTLS: Bool) -> ConnectionStateMachine.Configuration {
            ConnectionStateMachine.Configuration(
                info: serverInfo,
                admission: admission,
                usesTLS: usesTLS,
                handshakeTimeout: handshakeTimeout,
                authenticationTimeout: authenticationTimeout,
                idleTimeout: idleTimeout
            )
        }
    }

    /// Unsent bytes a connection may hold before it stops being read from (a peer that
    /// does not read its replies): the channel's write buffer water marks.
    static let replyBufferBudget = WriteBufferWaterMark(low: 32 * 1024, high: 64 * 1024)

    private let host: String
    private let port: Int
    private let connectionSettings: LiveValue<ConnectionSettings>
    private let tlsContext: LiveValue<NIOSSLContext>
    private let services: ConnectionHandler.Services
    private let limiter: ConnectionLimiter
    private let roster = ConnectionRoster()
    private let metrics: SeatMetrics
    private let logger: Logger
    private let onListening: @Sendable (SocketAddress) -> Void

    init(
        host: String,
        port: Int,
        connectionSettings: LiveValue<ConnectionSettings>,
        tlsContext: LiveValue<NIOSSLContext>,
        limiter: ConnectionLimiter,
        services: ConnectionHandler.Services,
        metrics: SeatMetrics,
        logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void
    ) {
        self.host = host
        self.port = port
        self.connectionSettings = connectionSettings
        self.tlsContext = tlsContext
        self.services = services
        self.limiter = limiter
        self.metrics = metrics
        self.logger = logger
        self.onListening = onListening
    }

    func run() async throws {
        let listener = try await bind()
        if let address = listener.localAddress {
            logger.notice("listening", metadata: ["address": "\(address.ipAddress ?? host):\(address.port ?? port)"])
            onListening(address)
        }
        try await roster.serveUntilShutdown(listener: listener)
        logger.info("listener stopped")
    }

    private func bind() async throws -> any Channel {
        let connectionSettings = self.connectionSettings
        let tlsContext = self.tlsContext
        let services = self.services
        let limiter = self.limiter
        let roster = self.roster
        let metrics = self.metrics
        let logger = self.logger
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: Self.replyBufferBudget)
            .childChannelInitializer { channel in
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
                    try pipeline.addHandler(ConnectionHandler(
                        configuration: settings.machineConfiguration(admission: settings.anonymousTenant == nil ? .accessKeyRequired : .anonymousTenant, usesTLS: true),
                        principal: settings.anonymousTenant.map(Principal.anonymous),
                        maximumFrameBytes: settings.maximumFrameBytes,
                        services: services,
                        now: channel.eventLoop.now
                    ))
                    roster.add(channel)
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}
