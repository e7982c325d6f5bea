import Foundation
import Logging
import NIOCore
import SeatStorage
import ServiceLifecycle

/// Starts seatd: storage, TLS, seat state, the sweeper, SIGHUP reloads and the client
/// listener, then serves until SIGTERM or SIGINT, and closes storage last.
public enum Daemon {
    public static func run(configuration: ServerConfiguration, logger: Logger, onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }) async throws {
        ResourceLimits.raiseOpenFileLimit(logger: logger)
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)

        let tlsFiles = try resolveTLSFiles(configuration, logger: logger)
        let tlsContext = try ServerTLS.makeContext(certificateChainFile: tlsFiles.certificate, privateKeyFile: tlsFiles.privateKey)

        let store = try SeatStore(options: configuration.storageOptions, logger: logger)
        defer { store.close() }
        let service = try await SeatService(
            store: store,
            policy: configuration.leasePolicy,
            endedSessionRetentionSeconds: configuration.endedSessionRetentionSeconds,
            logger: logger
        )
        if !configuration.licensesFile.isEmpty {
            try await service.applyLicenses(LicenseFile.load(path: configuration.licensesFile))
        }

        let policy = configuration.leasePolicy
        let listener = ClientListener(
            settings: ClientListener.Settings(
                host: configuration.listenAddress,
                port: configuration.port,
                maximumFrameBytes: configuration.maxFrameBytes,
                handshakeTimeout: .milliseconds(Int64(configuration.handshakeTimeoutSeconds * 1000)),
                idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000)),
                maxConnections: configuration.maxConnections,
                serverInfo: ConnectionStateMachine.ServerInfo(
                    maximumFrameBytes: UInt32(configuration.maxFrameBytes),
                    leaseMilliseconds: UInt32(clamping: policy.leaseMilliseconds),
                    heartbeatIntervalMilliseconds: UInt32(clamping: policy.heartbeatIntervalMilliseconds),
                    serverName: configuration.serverName
                )
            ),
            tlsContext: tlsContext,
            service: service,
            logger: logger,
            onListening: onListening
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: Sweeper(intervalSeconds: configuration.sweepIntervalSeconds, service: service)),
                .init(service: LicenseReloader(licensesFile: configuration.licensesFile, service: service, logger: logger)),
                .init(service: listener),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
        // Everything acknowledged is already durable; this only waits for lazy heartbeats.
        try? await store.flush()
        logger.notice("stopped", metadata: ["sessions": "\(service.sessionCount)"])
    }

    private static func resolveTLSFiles(_ configuration: ServerConfiguration, logger: Logger) throws -> (certificate: String, privateKey: String) {
        if !configuration.tlsCertificateFile.isEmpty {
            return (configuration.tlsCertificateFile, configuration.tlsPrivateKeyFile)
        }
        let ca = DevelopmentCA(directory: configuration.tlsDirectory)
        let hostname = ProcessInfo.processInfo.hostName
        if try ca.ensure(hostnames: [hostname, configuration.listenAddress].filter { !$0.isEmpty && $0 != "0.0.0.0" && $0 != "::" }) {
            logger.notice("generated a development CA; clients must trust it", metadata: ["ca_file": "\(ca.caCertificatePath)"])
        } else {
            logger.info("using the development CA", metadata: ["ca_file": "\(ca.caCertificatePath)"])
        }
        return (ca.serverCertificatePath, ca.serverPrivateKeyPath)
    }
}
