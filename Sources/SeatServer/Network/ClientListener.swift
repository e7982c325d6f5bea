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
        var frameTimeout: TimeAmount
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
                idleTimeout: idleTimeout,
                frameTimeout: frameTimeout
            )
        }
    }

    /// Bytes read from a connection per turn of its event loop. The handler answers every
    /// frame of a read before the loop moves on (and replies that hop between loops keep it
    /// from polling sockets until they are done), so this bounds one connection's turn: a
    /// peer pipelining tiny requests gets a few hundred answered, not the tens of thousands
    /// NIO's default (up to 4 reads of 64 KiB) would hand over, while the others wait.
    /// Requests are small; the rare large admin frame just takes a few reads.
    static let bytesPerRead = 2_048

    /// The kernel's socket buffers per connection (Linux doubles the figure). Left to
    /// autotuning they grow to several MB each way on a fast link: a peer that pipelines
    /// without reading would have that many requests queued in the kernel, all answered
    /// before it is finally stopped. 64 KiB is many times what a client's requests and
    /// replies need (a large admin reply just takes more round trips).
    static let socketBufferBytes = 64 * 1024

    private let host: String
    private let port: Int
    private let connectionSettings: LiveValue<ConnectionSettings>
    private let tlsContext: LiveValue<NIOSSLContext>
    private let services: ConnectionHandler.Services
    private let limiter: ConnectionLimiter
    private let unauthenticated: UnauthenticatedConnections
    private let refusals: ConnectionRefusals
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
        unauthenticated: UnauthenticatedConnections,
        refusals: ConnectionRefusals,
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
        self.unauthenticated = unauthenticated
        self.refusals = refusals
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
        let unauthenticated = self.unauthenticated
        let refusals = self.refusals
        let roster = self.roster
        let metrics = self.metrics
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Without it, an accept(2) failing with EMFILE is retried at once, for as
                    // long as the connection waits in the backlog: a core spinning, unseen.
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler(shouldForwardIOErrorCaught: true))
                    try channel.pipeline.syncOperations.addHandler(AcceptErrorObserver(refusals: refusals))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: ConnectionHandler.replyBudget)
            .childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.bytesPerRead))
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(Self.socketBufferBytes))
            .childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(Self.socketBufferBytes))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard limiter.tryAcquire() else {
                        refusals.refused(.maxConnections)
                        // A failed initializer alone leaves the socket open and unread.
                        channel.close(promise: nil)
                        throw ConnectionLimitReached()
                    }
                    let slot: UnauthenticatedSlot
                    switch unauthenticated.admit(channel.remoteAddress?.ipAddress ?? "?") {
                    case .success(let admitted):
                        slot = admitted
                    case .failure(let refusal):
                        limiter.release()
                        refusals.refused(refusal == .perAddress ? .perAddress : .unauthenticated)
                        channel.close(promise: nil)
                        throw ConnectionLimitReached()
                    }
                    channel.closeFuture.whenComplete { _ in
                        limiter.release()
                        slot.release()  // if the handler has not (it releases on authenticating)
                    }
                    let settings = connectionSettings.value
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLServerHandler(context: tlsContext.value))
                    try pipeline.addHandler(TLSHandshakeObserver(metrics: metrics))
                    try pipeline.addHandler(ConnectionHandler(
                        configuration: settings.machineConfiguration(admission: settings.anonymousTenant == nil ? .accessKeyRequired : .anonymousTenant, usesTLS: true),
                        principal: settings.anonymousTenant.map(Principal.anonymous),
                        maximumFrameBytes: settings.maximumFrameBytes,
                        services: services,
                        now: channel.eventLoop.now,
                        unauthenticatedSlot: slot
                    ))
                    roster.add(channel)
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}
