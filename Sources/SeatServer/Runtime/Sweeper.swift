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
        // The first sweep runs at start: sessions whose restored lease has already run
        // out are reclaimed at once, even by a daemon restarting faster than the interval.
        schedule(first: .now(), intervalSeconds: intervalSeconds)
    }

    /// Reschedules the timer (SIGHUP with a new sweep_interval_seconds); the next sweep
    /// runs one new interval from now.
    func setInterval(seconds: Double) {
        schedule(first: .now() + Self.interval(seconds), intervalSeconds: seconds)
    }

    private func schedule(first: DispatchTime, intervalSeconds: Double) {
        timer.schedule(deadline: first, repeating: Self.interval(intervalSeconds), leeway: .milliseconds(10))
    }

    private static func interval(_ seconds: Double) -> DispatchTimeInterval {
        .milliseconds(Int(seconds * 1000))
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
