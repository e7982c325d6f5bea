import Logging
import NIOSSL
import SeatCore
import ServiceLifecycle
import UnixSignals

/// On SIGHUP re-reads the configuration (the same --config file and -o overrides), the
/// licenses file and the TLS certificate and key, and applies them without touching
/// open connections or sessions.
///
/// Everything is read and checked before anything is applied: a configuration, licenses
/// file or certificate that does not load rejects the whole reload with one log line,
/// and everything in force stays. Keys that need a restart (`ConfigurationLoader.
/// restartOnlyKeys`) keep their running values, and a changed one is logged by name.
final class ConfigurationReloader: Service {
    /// The parts of the running daemon a reload changes.
    struct Targets: Sendable {
        var service: SeatService
        var sweeper: Sweeper
        var auditRetention: AuditRetention
        var limiter: ConnectionLimiter
        var connectionSettings: LiveValue<ClientListener.ConnectionSettings>
        var tlsContext: LiveValue<NIOSSLContext>
        var logLevel: LogLevelControl?
        var metrics: SeatMetrics
        var reporter: LifecycleReporter
    }

    private let load: @Sendable () throws -> ServerConfiguration
    private let makeTLSContext: @Sendable (ServerConfiguration) throws -> NIOSSLContext
    private let initial: ServerConfiguration
    private let targets: Targets
    private let logger: Logger

    init(
        initial: ServerConfiguration,
        load: @escaping @Sendable () throws -> ServerConfiguration,
        makeTLSContext: @escaping @Sendable (ServerConfiguration) throws -> NIOSSLContext,
        targets: Targets,
        logger: Logger
    ) {
        self.initial = initial
        self.load = load
        self.makeTLSContext = makeTLSContext
        self.targets = targets
        self.logger = logger
    }

    func run() async throws {
        var running = initial
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading configuration, licenses and TLS certificates")
            targets.reporter.reloading()
            if let applied = await reload(running: running) {
                running = applied
                targets.metrics.reloadsAccepted.increment()
            } else {
                targets.metrics.reloadsRejected.increment()
            }
            targets.reporter.reloadFinished()
        }
    }

    /// Returns the configuration now in force, or nil when the reload was rejected.
    private func reload(running: ServerConfiguration) async -> ServerConfiguration? {
        let proposed: ServerConfiguration
        let licenses: [License]?
        let tlsContext: NIOSSLContext
        do {
            proposed = try load()
        } catch {
            logger.error("reload rejected: invalid configuration; everything in force is unchanged", metadata: ["error": "\(error)"])
            return nil
        }
        let (configuration, needsRestart) = ConfigurationLoader.reloadable(proposed, running: running)
        do {
            licenses = configuration.licensesFile.isEmpty ? nil : try LicenseFile.load(path: configuration.licensesFile)
        } catch {
            logger.error("reload rejected: licenses file invalid; everything in force is unchanged", metadata: [
                "file": "\(configuration.licensesFile)", "error": "\(error)",
            ])
            return nil
        }
        do {
            tlsContext = try makeTLSContext(configuration)
        } catch {
            logger.error("reload rejected: TLS certificate or key unusable; everything in force is unchanged", metadata: ["error": "\(error)"])
            return nil
        }
        if let licenses {
            do {
                try await targets.service.applyLicenses(licenses)
            } catch {
                logger.error("reload rejected: licenses could not be stored; everything in force is unchanged", metadata: ["error": "\(error)"])
                return nil
            }
        }

        targets.service.update(policy: configuration.leasePolicy, endedSessionRetentionSeconds: configuration.endedSessionRetentionSeconds)
        targets.connectionSettings.set(ClientListener.ConnectionSettings(configuration))
        targets.tlsContext.set(tlsContext)
        targets.limiter.limit = configuration.maxConnections
        targets.auditRetention.update(AuditRetention.Settings(configuration))
        if configuration.sweepIntervalSeconds != running.sweepIntervalSeconds {
            targets.sweeper.setInterval(seconds: configuration.sweepIntervalSeconds)
        }
        if let level = Logger.Level(rawValue: configuration.logLevel) {
            targets.logLevel?.level = level
        }
        if !needsRestart.isEmpty {
            logger.warning("configuration changes need a restart; the running values stay until then", metadata: [
                "keys": "\(needsRestart.joined(separator: ","))",
            ])
        }
        logger.notice("configuration reloaded", metadata: [
            "lease_seconds": "\(configuration.leaseSeconds)",
            "heartbeat_interval_seconds": "\(configuration.heartbeatIntervalSeconds)",
            "max_connections": "\(configuration.maxConnections)",
            "log_level": "\(configuration.logLevel)",
            "licenses_file": "\(configuration.licensesFile)",
        ])
        return configuration
    }
}

extension ClientListener.ConnectionSettings {
    init(_ configuration: ServerConfiguration) {
        let policy = configuration.leasePolicy
        self.init(
            maximumFrameBytes: configuration.maxFrameBytes,
            handshakeTimeout: .milliseconds(Int64(configuration.handshakeTimeoutSeconds * 1000)),
            idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000)),
            serverInfo: ConnectionStateMachine.ServerInfo(
                maximumFrameBytes: UInt32(configuration.maxFrameBytes),
                leaseMilliseconds: UInt32(clamping: policy.leaseMilliseconds),
                heartbeatIntervalMilliseconds: UInt32(clamping: policy.heartbeatIntervalMilliseconds),
                serverName: configuration.serverName
            )
        )
    }
}
