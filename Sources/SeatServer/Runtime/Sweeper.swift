import Dispatch
import ServiceLifecycle
import Synchronization

/// Reclaims expired seats on a `DispatchSourceTimer`. A sweep that is still running
/// when the timer fires again is not doubled up; the next tick catches up.
final class Sweeper: Service {
    private let interval: DispatchTimeInterval
    private let service: SeatService
    private let busy = Atomic<Bool>(false)

    init(intervalSeconds: Double, service: SeatService) {
        self.interval = .milliseconds(Int(intervalSeconds * 1000))
        self.service = service
    }

    func run() async throws {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "seatd.sweeper"))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(10))
        // @Sendable: the handler runs on the timer's queue, never on the main actor.
        timer.setEventHandler { @Sendable [self] in
            guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
            Task {
                await service.sweep()
                busy.store(false, ordering: .releasing)
            }
        }
        timer.resume()
        defer { timer.cancel() }
        try? await gracefulShutdown()
    }
}
