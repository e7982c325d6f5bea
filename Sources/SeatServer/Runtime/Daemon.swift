import Foundation
import Logging
import NIOCore
import NIOSSL
import SeatDashboard
import SeatLicensing
import SeatStorage
import ServiceLifecycle

/// Starts seatd: storage, TLS, seat state, the sweeper, SIGHUP reloads, the client
/// listener, the health and metrics listener and the systemd notifications, then serves
/// until SIGTERM or SIGINT, and closes storage last.
public enum Daemon {
    /// - Parameters:
    ///   - reloadConfiguration: reads the configuration again on SIGHUP (the same file and
    ///     overrides); by default SIGHUP re-applies `configuration` and re-reads only the
    ///     licenses file and the TLS files.
    ///   - logLevel: the log level control the logging system was bootstrapped with, so
    ///     a reload can change `log_level`.
    public static func run(
        configuration: ServerConfiguration,
        reloadConfiguration: (@Sendable () throws -> ServerConfiguration)? = nil,
        logLevel: LogLevelControl? = nil,
        logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) async throws {
        try await run(
            configuration: configuration, reloadConfiguration: reloadConfiguration, logLevel: logLevel, clock: SystemClock(), logger: logger,
            onListening: onListening
        )
    }

    /// `run` on `clock`, the one source of time of every part of the server (in-process
    /// tests pass a `ManualClock`).
    static func run(
        configuration: ServerConfiguration,
        reloadConfiguration: (@Sendable () throws -> ServerConfiguration)?,
        logLevel: LogLevelControl?,
        clock: any ServerClock,
        logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void
    ) async throws {
        ResourceLimits.raiseOpenFileLimit(logger: logger)
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        // Before anything else in the state directory (store, TLS files, admin socket) is touched.
        let stateLock = try StateDirectoryLock(stateDirectory: configuration.stateDirectory)
        defer { withExtendedLifetime(stateLock) {} }

        let metrics = SeatMetrics()
        let readiness = Readiness()
        let tlsContext = LiveValue(try makeTLSContext(configuration, logger: logger))

        let seatEvents = SeatEventLog(enabled: configuration.logSeatEvents, logger: logger)
        let store = try SeatStore(
            options: configuration.storageOptions, logger: logger,
            commitObserver: { changes, duration in metrics.recordStorageCommit(changes: changes, duration: duration) },
            auditObserver: { events in seatEvents.committed(events) }
        )
        defer { store.close() }

        let limiter = ConnectionLimiter(limit: ResourceLimits.effectiveConnectionLimit(configured: configuration.maxConnections, logger: logger))
        let unauthenticated = UnauthenticatedConnections(limits: .init(configuration, connectionLimit: limiter.limit))
        let refusals = ConnectionRefusals(metrics: metrics, logger: logger) {
            let limits = unauthenticated.limits
            return [
                "max_connections": "\(limiter.limit)", "max_unauthenticated_per_address": "\(limits.perAddress)",
                "max_unauthenticated": "\(limits.total)", "open": "\(limiter.openConnections)", "unauthenticated_open": "\(unauthenticated.count)",
            ]
        }
        let connectionSettings = LiveValue(ClientListener.ConnectionSettings(configuration))
        let endpoints = ListenerParts(
            configuration: configuration, connectionSettings: connectionSettings, tlsContext: tlsContext, limiter: limiter,
            unauthenticated: unauthenticated, refusals: refusals, metrics: metrics, clock: clock, logger: logger, onListening: onListening)

        // storage = postgresql: serve as a standby until elected, then as the active node.
        let membership: ClusterMembership?
        if configuration.storageBackend == .postgresql {
            let member = try ClusterMembership(
                configuration: configuration, logger: logger,
                onLostLeadership: { LeadershipLoss.exitProcess($0, logger: logger) },
                onFencedCommit: { LeadershipLoss.exitProcessSoon($0, logger: logger) })
            try await member.start()
            guard let epoch = try await StandbyPhase(membership: member, store: store, endpoints: endpoints).run() else {
                await member.stop()
                logger.notice("stopped", metadata: ["role": "standby"])
                return
            }
            try await StandbyPhase.takeOver(member, epoch: epoch, store: store, logger: logger)
            membership = member
        } else {
            membership = nil
        }

        let connections = ConnectionDirectory()
        let service = try await SeatService(
            store: store,
            policy: configuration.leasePolicy,
            endedSessionRetentionSeconds: configuration.endedSessionRetentionSeconds,
            revocations: connections,
            verifier: configuration.licenseVerifier,
            clock: clock,
            queueLimits: QueueLimits(perLicense: configuration.queueMaxPerLicense, perConnection: configuration.queueMaxPerConnection),
            onWaitGranted: { waited, license in metrics.recordQueueWait(waited, license: license.key, tenant: license.tenant) },
            logger: logger
        )
        let access = try AccessRegistry(store: store, clock: clock, connections: connections)
        if configuration.developmentMode {
            logger.warning("development_mode is on: unsigned licenses are accepted; never run production like this")
        }
        if !configuration.licensesFile.isEmpty {
            let licenses = try LicenseFile.load(path: configuration.licensesFile, verifier: configuration.licenseVerifier)
            try await access.ensureTenants(Set(licenses.map(\.tenant)))
            _ = try await service.applyLicenseFile(licenses)
        }
        let sitePolicy = try PolicyFile.load(path: configuration.policyFile, licenses: await service.licenseSnapshots().map(\.license))
        service.update(sitePolicy: sitePolicy)
        if !configuration.policyFile.isEmpty {
            logger.notice("policy file loaded", metadata: ["policy_file": "\(configuration.policyFile)", "rules": "\(sitePolicy.ruleCount)"])
        }
        readiness.markStorageOpen()

        let reloaderBox = LiveValue<ConfigurationReloader?>(nil)
        let audit = AuditLog(store: store, aggregationWindowSeconds: configuration.auditAggregationWindowSeconds)
        let borrowKey = try BorrowSigningKeyFile.load(configuration)
        if borrowKey.generated {
            logger.notice("generated the key that signs offline leases; clients trust its public key (seatctl borrow public-key)", metadata: [
                "borrow_signing_key_file": "\(configuration.borrowSigningKeyPath)",
            ])
        }
        let admin = AdminDispatcher(
            service: service,
            access: access,
            audit: audit,
            reports: UsageReports(store: store, service: service, clock: clock),
            hooks: .init(
                verifyLicenses: { document, origin in
                    let inForce = reloaderBox.value?.configuration ?? configuration
                    return try LicenseImport.verify(documentData: document, verifier: inForce.licenseVerifier, origin: origin)
                },
                allowsUnsignedLicenses: { (reloaderBox.value?.configuration ?? configuration).developmentMode },
                reload: { try await reloaderBox.value?.reloadNow() },
                shutdown: { kill(getpid(), SIGTERM) }
            ),
            borrowPublicKey: borrowKey.key.publicKey,
            metrics: metrics,
            cluster: membership?.state,
            clock: clock,
            logger: logger
        )
        // One throttle for the seat protocol and the dashboard's sign-in alike.
        let gate = AuthenticationGate(
            limit: configuration.authFailureLimit, globalLimit: configuration.authFailureGlobalLimit,
            windowSeconds: configuration.authFailureWindowSeconds, clock: clock)
        let dispatcher = RequestDispatcher(
            service: service,
            access: access,
            gate: gate,
            connections: connections,
            admin: admin,
            audit: audit,
            seatEvents: seatEvents,
            metrics: metrics,
            clock: clock,
            borrowKey: borrowKey.key
        )
        let connectionServices = ConnectionHandler.Services(responder: dispatcher, directory: connections, logger: logger)
        let listener = endpoints.clientListener(services: connectionServices, readiness: readiness)
        let reporter = endpoints.reporter(readiness: readiness) {
            "serving \(service.sessionCount) sessions on \(readiness.listeningAddress ?? "?"), \(limiter.openConnections) connections"
        }
        let auditRetention = AuditRetention(store: store, settings: AuditRetention.Settings(configuration), logger: logger)
        let usageRetention = UsageRetention(store: store, months: configuration.reportRetentionMonths, logger: logger)
        let sweeper = Sweeper(
            intervalSeconds: configuration.sweepIntervalSeconds,
            pass: SweepPass(service: service, audit: audit, auditRetention: auditRetention, usageRetention: usageRetention, metrics: metrics, clock: clock)
        )
        let reloader = ConfigurationReloader(
            initial: configuration,
            load: reloadConfiguration ?? { configuration },
            makeTLSContext: { try makeTLSContext($0, logger: logger) },
            targets: .init(
                service: service, access: access, sweeper: sweeper, auditRetention: auditRetention, usageRetention: usageRetention, limiter: limiter, unauthenticated: unauthenticated,
                connectionSettings: connectionSettings,
                tlsContext: tlsContext, logLevel: logLevel, metrics: metrics, seatEvents: seatEvents, reporter: reporter
            ),
            logger: logger
        )

        // The group shuts services down in reverse order: the reporter first (readiness
        // drops, systemd hears STOPPING=1), then the client listener drains, and the
        // health listener last, so /readyz answers 503 while requests finish.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let health = endpoints.healthServer(readiness: readiness, metrics: {
            metrics.render(SeatMetrics.Snapshot(
                licenses: await service.licenseSnapshots(), liveSessions: service.sessionCount,
                openConnections: limiter.openConnections, storage: store.statistics, cluster: membership?.state.current
            ))
        }) {
            services.append(.init(service: health))
        }
        if !configuration.dashboardListenAddress.isEmpty {
            let backend = DashboardBridge(
                service: service, access: access, gate: gate, admin: admin, reports: admin.reports, audit: audit, seatEvents: seatEvents, metrics: metrics, clock: clock)
            // Plain HTTP on loopback only; elsewhere the server's TLS context, as reloaded.
            let dashboardTLS: (@Sendable () -> NIOSSLContext)? = configuration.dashboardIsLoopback ? nil : { @Sendable in tlsContext.value }
            let dashboard = try DashboardServer(
                host: configuration.dashboardListenAddress, port: configuration.dashboardPort, backend: backend,
                sessionLifetimeSeconds: Int64(configuration.dashboardSessionMinutes) * 60, tlsContext: dashboardTLS, logger: logger)
            services.append(.init(service: dashboard))
        }
        reloaderBox.set(reloader)
        let adminSocket = endpoints.adminSocket(services: connectionServices, readiness: readiness)
        if let membership {
            services.append(.init(service: ActiveNodeDuties(membership: membership, store: store, snapshotAt: membership.state.current.appliedSequence, clock: clock, logger: logger)))
        }
        services += [
            .init(service: sweeper), .init(service: reloader), .init(service: adminSocket), .init(service: listener), .init(service: reporter),
        ]
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Past this, connections still busy are cancelled; storage is flushed regardless.
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.shutdownTimeoutSeconds * 1000))
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch is CancellationError where readiness.isShuttingDown {
            // The shutdown timeout cancelled services that were still busy (e.g. writing
            // to a client that stopped reading). That is the bounded shutdown working,
            // not a failure: flush and exit 0 like any other shutdown.
        }
        // Judged by the time taken, not by the error: when the timeout cancels the group,
        // services may end quietly (the group then returns without throwing). The group's
        // timer starts a moment before the reporter marks the shutdown, hence the slack.
        if let limit = groupConfiguration.maximumGracefulShutdownDuration, let began = readiness.shutdownBegan,
           ContinuousClock.now - began >= limit - .milliseconds(50) {
            logger.warning("shutdown_timeout_seconds reached; connections still busy were closed", metadata: [
                "shutdown_timeout_seconds": "\(configuration.shutdownTimeoutSeconds)",
            ])
        }
        // Counts of the current window go to the audit log rather than being lost.
        audit.flush(at: clock.now())
        // Everything acknowledged is already durable; this only waits for lazy heartbeats
        // and audit events.
        try? await store.flush()
        // Last: the lock session closes, so a standby takes over at once.
        await membership?.stop()
        logger.notice("stopped", metadata: ["sessions": "\(service.sessionCount)"])
    }

    /// The TLS context for `configuration`: its certificate files, or the development CA
    /// in the state directory (generated on first use).
    static func makeTLSContext(_ configuration: ServerConfiguration, logger: Logger) throws -> NIOSSLContext {
        let files = try resolveTLSFiles(configuration, logger: logger)
        return try ServerTLS.makeContext(certificateChainFile: files.certificate, privateKeyFile: files.privateKey)
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
