import Dispatch
import ServiceLifecycle
import Synchronization

/// Reclaims expired seats and applies audit retention on a `DispatchSourceTimer`; the
/// work of one tick (`sweepOnce`) reads the injected clock, so tests drive it directly. A sweep that is still running
/// when the timer fires again is not doubled up; the next tick catches up.
final class Sweeper: Service {
    private let service: SeatService
    private let auditRetention: AuditRetention
    private let metrics: SeatMetrics
    private let clock: any ServerClock
    private let busy = Atomic<Bool>(false)
    // A dispatch source may be rescheduled from any thread; the overlay just does not
    // declare it Sendable.
    nonisolated(unsafe) private let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "seatd.sweeper"))

    init(intervalSeconds: Double, service: SeatService, auditRetention: AuditRetention, metrics: SeatMetrics, clock: any ServerClock) {
        self.service = service
        self.clock = clock
        self.auditRetention = auditRetention
        self.metrics = metrics
        setInterval(seconds: intervalSeconds)
    }

    /// Reschedules the timer (SIGHUP with a new sweep_interval_seconds); the next sweep
    /// runs one new interval from now.
    func setInterval(seconds: Double) {
        let interval = DispatchTimeInterval.milliseconds(Int(seconds * 1000))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(10))
    }

    func run() async throws {
        // @Sendable: the handler runs on the timer's queue, never on the main actor.
        timer.setEventHandler { @Sendable [self] in
            guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
            Task {
                await sweepOnce()
                busy.store(false, ordering: .releasing)
            }
        }
        timer.resume()
        defer { timer.cancel() }
        try? await gracefulShutdown()
    }

    /// The work of one tick, at the clock's current time.
    func sweepOnce() async {
        let expired = await service.sweep(now: clock.now())
        if expired > 0 { metrics.expiries.increment(by: expired) }
        await auditRetention.run(now: clock.now())
    }
}
