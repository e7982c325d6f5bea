import Foundation
import Logging
import NIOCore
import NIOSSL

/// What the listeners of the daemon are built from, shared by a standby's listeners and the
/// active node's (`storage = postgresql` runs one set, then the other, on the same ports).
struct ListenerParts: Sendable {
    let configuration: ServerConfiguration
    let connectionSettings: LiveValue<ClientListener.ConnectionSettings>
    let tlsContext: LiveValue<NIOSSLContext>
    let limiter: ConnectionLimiter
    let unauthenticated: UnauthenticatedConnections
    let refusals: ConnectionRefusals
    let metrics: SeatMetrics
    let clock: any ServerClock
    let logger: Logger
    let onListening: @Sendable (SocketAddress) -> Void
    /// The client port the first listener bound: with `port = 0`, a standby's successor
    /// listener after a takeover binds the same one, where its clients look for it.
    let boundClientPort = LiveValue<Int?>(nil)

    func clientListener(services: ConnectionHandler.Services, readiness: Readiness) -> ClientListener {
        ClientListener(
            host: configuration.listenAddress,
            port: boundClientPort.value ?? configuration.port,
            connectionSettings: connectionSettings,
            tlsContext: tlsContext,
            limiter: limiter,
            unauthenticated: unauthenticated,
            refusals: refusals,
            services: services,
            metrics: metrics,
            logger: logger,
            onListening: { [configuration, onListening, boundClientPort] address in
                if boundClientPort.value == nil, let port = address.port { boundClientPort.set(port) }
                readiness.markListening(address: "\(address.ipAddress ?? configuration.listenAddress):\(address.port ?? configuration.port)")
                onListening(address)
            }
        )
    }

    func adminSocket(services: ConnectionHandler.Services, readiness: Readiness) -> AdminSocketListener {
        AdminSocketListener(
            path: configuration.adminSocketPath,
            groupName: configuration.adminSocketGroup,
            connectionSettings: connectionSettings,
            services: services,
            maximumFrameBytes: max(configuration.maxFrameBytes, 4 << 20),
            logger: logger,
            onListening: { _ in readiness.markAdminSocketBound() }
        )
    }

    /// systemd's notifications (READY=1, the watchdog, STATUS= with `status`).
    func reporter(
        readiness: Readiness, announcesStopping: @escaping @Sendable () -> Bool = { true }, status: @escaping @Sendable () -> String
    ) -> LifecycleReporter {
        let environment = ProcessInfo.processInfo.environment
        return LifecycleReporter(
            notifier: SystemdNotifier(environment: environment),
            watchdogInterval: SystemdNotifier.watchdogInterval(environment: environment, processID: getpid()),
            readiness: readiness, status: status, clock: clock, logger: logger, announcesStopping: announcesStopping)
    }

    /// nil when `metrics_listen_address` is empty.
    func healthServer(readiness: Readiness, metrics render: @escaping @Sendable () async -> [UInt8]) -> HealthServer? {
        guard !configuration.metricsListenAddress.isEmpty else { return nil }
        return HealthServer(
            host: configuration.metricsListenAddress, port: configuration.metricsPort,
            responder: HealthResponder(readiness: readiness, metrics: render), logger: logger)
    }
}
