import Logging
import SeatCore
import ServiceLifecycle

/// Reports the daemon's lifecycle to systemd (sd_notify) and to `/readyz`: READY=1 once
/// the client listener is bound (storage is opened before any service starts), a STATUS
/// line refreshed while serving, WATCHDOG=1 pings, and STOPPING=1 at the first moment of
/// a graceful shutdown. It is the last service of the group, so the group shuts it down
/// first: readiness drops before the listener stops accepting.
final class LifecycleReporter: Service {
    private let notifier: SystemdNotifier?
    private let watchdogInterval: Duration?
    private let statusInterval: Duration
    private let readiness: Readiness
    private let status: @Sendable () -> String
    private let clock: any ServerClock
    private let logger: Logger
    /// False when the group ends for a standby's takeover: the process goes on serving.
    private let announcesStopping: @Sendable () -> Bool

    init(
        notifier: SystemdNotifier?, watchdogInterval: Duration?, statusInterval: Duration = .seconds(10), readiness: Readiness,
        status: @escaping @Sendable () -> String, clock: any ServerClock, logger: Logger,
        announcesStopping: @escaping @Sendable () -> Bool = { true }
    ) {
        self.announcesStopping = announcesStopping
        self.clock = clock
        self.notifier = notifier
        self.watchdogInterval = watchdogInterval
        self.statusInterval = statusInterval
        self.readiness = readiness
        self.status = status
        self.logger = logger
    }

    func run() async throws {
        if let notifier {
            logger.info("systemd notify socket found", metadata: [
                "abstract": "\(notifier.address.isAbstract)", "watchdog_interval": "\(watchdogInterval.map { "\($0)" } ?? "off")",
            ])
        }
        await withGracefulShutdownHandler {
            await serve()
        } onGracefulShutdown: { [readiness, notifier, announcesStopping] in
            guard announcesStopping() else { return }
            readiness.markShuttingDown()
            notifier?.notify("STOPPING=1\nSTATUS=shutting down")
        }
    }

    /// Announces a SIGHUP reload to systemd; `finished` is sent when it is done (READY=1
    /// ends systemd's "reloading" state whether the reload was accepted or not).
    func reloading() {
        notifier?.notify("RELOADING=1\nSTATUS=reloading configuration")
    }

    func reloadFinished() {
        notifier?.notify("READY=1\nSTATUS=\(status())")
    }

    private func serve() async {
        let address: String? = await cancelWhenGracefulShutdown { await self.readiness.waitUntilListening() } ?? nil
        guard address != nil else { return }
        notifier?.notify("READY=1\nSTATUS=\(status())")
        guard let notifier else {
            // A service that returns ends the group, so wait for the shutdown.
            try? await gracefulShutdown()
            return
        }

        let tick = min(watchdogInterval ?? statusInterval, statusInterval)
        let statusMilliseconds = statusInterval.inMilliseconds
        var nextStatus = clock.now().adding(milliseconds: statusMilliseconds)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if watchdogInterval != nil {
                notifier.notify("WATCHDOG=1")
            }
            if clock.now() >= nextStatus {
                notifier.notify("STATUS=\(status())")
                nextStatus = clock.now().adding(milliseconds: statusMilliseconds)
            }
            do {
                try await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(for: tick) }
            } catch {
                return
            }
        }
    }
}
