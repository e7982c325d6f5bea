import Logging
import NIOSSL
import SeatCore
import ServiceLifecycle
import UnixSignals

/// On SIGHUP re-reads the configuration (the same --config file and -o overrides), the
/// licenses file, the policy file and the TLS certificate and key, and applies them without
/// touching open connections or sessions.
///
/// Everything is read and checked before anything is applied: a configuration, licenses
/// file, policy file or certificate that does not load rejects the whole reload with one
/// log line, and everything in force stays. Keys that need a restart (`ConfigurationLoader.
/// restartOnlyKeys`) keep their running values, and a changed one is logged by name.
final class ConfigurationReloader: Service {
    /// The parts of the running daemon a reload changes.
    struct Targets: Sendable {
        var service: SeatService
        var access: AccessRegistry
        var sweeper: Sweeper
        var auditRetention: AuditRetention
        var usageRetention: UsageRetention
        var limiter: ConnectionLimiter
        var unauthenticated: UnauthenticatedConnections
        var connectionSettings: LiveValue<ClientListener.ConnectionSettings>
        var tlsContext: LiveValue<NIOSSLContext>
        var logLevel: LogLevelControl?
        var metrics: SeatMetrics
        var seatEvents: SeatEventLog
        var reporter: LifecycleReporter
    }

    private let load: @Sendable () throws -> ServerConfiguration
    private let makeTLSContext: @Sendable (ServerConfiguration) throws -> NIOSSLContext
    private let targets: Targets
    private let logger: Logger
    /// The configuration in force; reloads (SIGHUP and admin requests) run one at a time.
    private let running: LiveValue<ServerConfiguration>
    private let gate = SerialGate()

    /// The configuration in force now.
    var configuration: ServerConfiguration { running.value }

    /// Why a reload was rejected; everything in force stayed.
    struct Rejection: Error, CustomStringConvertible {
        /// What was wrong, e.g. "licenses file invalid".
        var summary: String
        var error: any Error
        var description: String { "\(summary): \(error)" }
    }

    init(
        initial: ServerConfiguration,
        load: @escaping @Sendable () throws -> ServerConfiguration,
        makeTLSContext: @escaping @Sendable (ServerConfiguration) throws -> NIOSSLContext,
        targets: Targets,
        logger: Logger
    ) {
        self.running = LiveValue(initial)
        self.load = load
        self.makeTLSContext = makeTLSContext
        self.targets = targets
        self.logger = logger
    }

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading configuration, licenses and TLS certificates")
            try? await reloadNow()
        }
    }

    /// Reloads now (SIGHUP, or the admin `reload` request); throws why it was rejected.
    func reloadNow() async throws(Rejection) {
        try await gate.run { () async throws(Rejection) in
            targets.reporter.reloading()
            defer { targets.reporter.reloadFinished() }
            do throws(Rejection) {
                running.set(try await reload(running: running.value))
                targets.metrics.reloadsAccepted.increment()
            } catch {
                logger.error("reload rejected: \(error.summary); everything in force is unchanged", metadata: ["error": "\(error.error)"])
                targets.metrics.reloadsRejected.increment()
                throw error
            }
        }
    }

    /// Returns the configuration now in force.
    private func reload(running: ServerConfiguration) async throws(Rejection) -> ServerConfiguration {
        let proposed: ServerConfiguration
        let licenses: [License]?
        let tlsContext: NIOSSLContext
        do {
            proposed = try load()
        } catch {
            throw Rejection(summary: "invalid configuration", error: error)
        }
        let (configuration, needsRestart) = ConfigurationLoader.reloadable(proposed, running: running)
        do {
            licenses = configuration.licensesFile.isEmpty ? nil : try LicenseFile.load(path: configuration.licensesFile, verifier: configuration.licenseVerifier)
        } catch {
            throw Rejection(summary: "licenses file invalid (\(configuration.licensesFile))", error: error)
        }
        let sitePolicy: SitePolicy
        do {
            sitePolicy = try PolicyFile.load(path: configuration.policyFile, licenses: await licensesAfterReload(fileLicenses: licenses))
        } catch {
            throw Rejection(summary: "policy file invalid (\(configuration.policyFile))", error: error)
        }
        do {
            tlsContext = try makeTLSContext(configuration)
        } catch {
            throw Rejection(summary: "TLS certificate or key unusable", error: error)
        }
        if let licenses {
            do {
                try await targets.access.ensureTenants(Set(licenses.map(\.tenant)))
                _ = try await targets.service.applyLicenseFile(licenses)
            } catch {
                throw Rejection(summary: "licenses could not be applied", error: error)
            }
        }
        // Imported licenses are served only while their signer is trusted.
        _ = await targets.service.applyTrust(configuration.licenseVerifier)

        targets.service.update(policy: configuration.leasePolicy, endedSessionRetentionSeconds: configuration.endedSessionRetentionSeconds)
        targets.service.update(sitePolicy: sitePolicy)
        targets.connectionSettings.set(ClientListener.ConnectionSettings(configuration))
        targets.tlsContext.set(tlsContext)
        targets.seatEvents.setEnabled(configuration.logSeatEvents)
        targets.limiter.limit = ResourceLimits.effectiveConnectionLimit(configured: configuration.maxConnections, logger: logger)
        targets.unauthenticated.limits = UnauthenticatedConnections.Limits(configuration, connectionLimit: targets.limiter.limit)
        targets.auditRetention.update(AuditRetention.Settings(configuration))
        targets.usageRetention.update(months: configuration.reportRetentionMonths)
        if configuration.sweepIntervalSeconds != running.sweepIntervalSeconds {
            targets.sweeper.setInterval(seconds: configuration.sweepIntervalSeconds)
        }
        if let level = Logger.Level(rawValue: configuration.logLevel) {
            targets.logLevel?.level = level
        }
        if configuration.developmentMode && !running.developmentMode {
            logger.warning("development_mode is on: unsigned licenses are accepted; never run production like this")
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
            "policy_file": "\(configuration.policyFile)",
            "development_mode": "\(configuration.developmentMode)",
            "vendor_keys": "\(configuration.vendorPublicKeys.map(\.keyID).joined(separator: ","))",
        ])
        return configuration
    }

    /// The licenses a reload leaves in force: those of the licenses file (when there is
    /// one) and those added or imported through the admin channel.
    private func licensesAfterReload(fileLicenses: [License]?) async -> [License] {
        let inForce = await targets.service.licenseSnapshots().map(\.license)
        guard let fileLicenses else { return inForce }
        return fileLicenses + inForce.filter { $0.provenance.origin == .admin }
    }
}

extension ClientListener.ConnectionSettings {
    init(_ configuration: ServerConfiguration) {
        let policy = configuration.leasePolicy
        self.init(
            maximumFrameBytes: configuration.maxFrameBytes,
            handshakeTimeout: .milliseconds(Int64(configuration.handshakeTimeoutSeconds * 1000)),
            authenticationTimeout: .milliseconds(Int64(configuration.authenticationTimeoutSeconds * 1000)),
            idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000)),
            frameTimeout: .milliseconds(Int64(configuration.frameTimeoutSeconds * 1000)),
            serverInfo: ConnectionStateMachine.ServerInfo(
                maximumFrameBytes: UInt32(configuration.maxFrameBytes),
                leaseMilliseconds: UInt32(clamping: policy.leaseMilliseconds),
                heartbeatIntervalMilliseconds: UInt32(clamping: policy.heartbeatIntervalMilliseconds),
                serverName: configuration.serverName
            ),
            anonymousTenant: configuration.anonymousTenant.isEmpty ? nil : configuration.anonymousTenant
        )
    }
}

extension UnauthenticatedConnections.Limits {
    init(_ configuration: ServerConfiguration, connectionLimit: Int) {
        self.init(perAddress: configuration.maxUnauthenticatedPerAddress, percentOfConnections: configuration.unauthenticatedConnectionsPercent, connectionLimit: connectionLimit)
    }
}
