import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import SeatHTTP
import ServiceLifecycle

/// The HTTP/1.1 listener for operators and monitoring (loopback by default), answering
/// as `HealthResponder` says, on Hummingbird like the dashboard.
///
/// Probes and scrapers need few connections, so it accepts at most `maximumConnections`
/// at once (more are closed at once) and gives every request `requestTimeout` to be
/// answered: it can never take the descriptors the client port and the store need.
struct HealthServer: Service {
    static let maximumConnections = 32
    static let requestTimeout = TimeAmount.seconds(10)

    let host: String
    let port: Int
    let responder: HealthResponder
    var maximumConnections = Self.maximumConnections
    var requestTimeout = Self.requestTimeout
    let logger: Logger
    var onListening: @Sendable (SocketAddress) -> Void = { _ in }

    func run() async throws {
        let logger = logger, host = host, port = port, onListening = onListening
        let application = Application(
            responder: responder,
            server: .guardedHTTP1(configuration: .requestDeadline(requestTimeout), admission: ConnectionLimiter(limit: maximumConnections)),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "seatd"),
            onServerRunning: { channel in
                guard let address = channel.localAddress else { return }
                logger.notice("health and metrics listening", metadata: ["address": "\(address.ipAddress ?? host):\(address.port ?? port)"])
                onListening(address)
            },
            logger: logger
        )
        try await application.run()
    }
}
