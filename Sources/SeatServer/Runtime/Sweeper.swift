import Dispatch
import ServiceLifecycle
import Synchronization

/// Runs a `SweepPass` (reclaims expired seats, applies audit retention) on a
/// `DispatchSourceTimer`. A sweep that is still running when the timer fires again is
/// not doubled up; the next tick catches up.
final class Sweeper: Service {
    private let pass: SweepPass
    private let busy = Atomic<Bool>(false)
    // A dispatch source may be rescheduled from any thread; the overlay just does not
    // declare it Sendable.
    nonisolated(unsafe) private let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "seatd.sweeper"))

    init(intervalSeconds: Double, pass: SweepPass) {
        self.pass = pass
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
                await pass.run()
                busy.store(false, ordering: .releasing)
            }
        }
        timer.resume()
        defer { timer.cancel() }
        try? await gracefulShutdown()
    }
}
