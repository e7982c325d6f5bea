import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import SeatHTTP
import ServiceLifecycle

/// The dashboard's listener, a service of seatd's service group: plain HTTP (loopback
/// only, checked by the configuration) or HTTPS with seatd's server TLS context.
public struct DashboardServer: Service {
    let host: String
    let port: Int
    let routes: DashboardRoutes
    let tlsContext: (@Sendable () -> NIOSSLContext)?
    let logger: Logger
    let onListening: @Sendable (SocketAddress) -> Void

    /// - Parameter tlsContext: `nil` serves plain HTTP.
    public init(
        host: String, port: Int, backend: any DashboardBackend, sessionLifetimeSeconds: Int64, tlsContext: (@Sendable () -> NIOSSLContext)?, logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) throws {
        self.host = host
        self.port = port
        routes = try DashboardRoutes(backend: backend, sessionLifetimeSeconds: sessionLifetimeSeconds, secure: tlsContext != nil)
        self.tlsContext = tlsContext
        self.logger = logger
        self.onListening = onListening
    }

    /// HTTP/1.1, idle connections closed after a minute.
    static let http = HTTP1Channel.Configuration(idleTimeout: .seconds(60))

    public func run() async throws {
        let logger = logger, host = host, secure = tlsContext != nil, onListening = onListening
        let application = Application(
            router: routes.router(),
            server: .guardedHTTP1(configuration: Self.http, tls: tlsContext),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "seatd"),
            onServerRunning: { channel in
                guard let address = channel.localAddress else { return }
                logger.notice("dashboard listening", metadata: ["address": "\(secure ? "https" : "http")://\(host):\(address.port ?? 0)/"])
                onListening(address)
            },
            logger: logger
        )
        try await application.run()
    }
}
