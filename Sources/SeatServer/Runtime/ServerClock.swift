import Glibc
import SeatCore
import Synchronization

/// The server's one source of time: every lease, sweep, retention window, throttle
/// window and periodic wait reads it. Production uses `SystemClock`; in-process tests
/// drive a `ManualClock`, so timer behaviour is tested without racing the wall clock.
/// (Per-connection deadlines are scheduled on the connection's event loop, which tests
/// drive with `EmbeddedEventLoop.advanceTime`.)
protocol ServerClock: Sendable {
    /// Wall-clock time. Leases are absolute times because they outlive the process.
    func now() -> Timestamp
    /// Suspends for `duration` of this clock's time; throws on cancellation.
    func sleep(for duration: Duration) async throws
}

/// The wall clock. Its view only moves forward: if the system clock steps back, time is
/// judged by the latest instant seen, so a step back can never resurrect a lapsed lease
/// or reorder ends.
final class SystemClock: ServerClock {
    private let latest = Atomic<Int64>(0)

    init() {}

    /// The wall clock as it is, steps back included (log lines show it so).
    static func wallMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    func now() -> Timestamp {
        let system = Self.wallMilliseconds()
        var seen = latest.load(ordering: .relaxed)
        while system > seen {
            let (exchanged, original) = latest.compareExchange(expected: seen, desired: system, ordering: .relaxed)
            if exchanged { return Timestamp(millisecondsSinceEpoch: system) }
            seen = original
        }
        return Timestamp(millisecondsSinceEpoch: seen)
    }

    func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// A clock that moves only when told to. Sleepers wake when `advance` passes their
/// deadline, in deadline order.
final class ManualClock: ServerClock {
    private struct Sleeper {
        let deadline: Int64
        let continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var now: Int64
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }
    private let state: Mutex<State>

    init(start: Timestamp = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)) {
        state = Mutex(State(now: start.millisecondsSinceEpoch))
    }

    func now() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: state.withLock { $0.now })
    }

    /// Sleepers currently waiting (lets a test wait until a task has gone to sleep).
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    func advance(by duration: Duration) {
        let milliseconds = duration.inMilliseconds
        let due: [Sleeper] = state.withLock { state in
            state.now += milliseconds
            let now = state.now
            let ready = state.sleepers.filter { $0.value.deadline <= now }
            for id in ready.keys { state.sleepers[id] = nil }
            return ready.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    func sleep(for duration: Duration) async throws {
        let milliseconds = duration.inMilliseconds
        let id: UInt64 = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    if milliseconds <= 0 || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: state.now + milliseconds, continuation: continuation)
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
