import Glibc
import SeatCore
import Synchronization

/// Wall-clock time for leases. Leases are absolute times because they outlive the process.
/// The view only moves forward: if the system clock steps back, leases are judged by the
/// latest time seen, so a step back can never resurrect a lapsed lease or reorder ends.
enum WallClock {
    private static let latest = Atomic<Int64>(0)

    static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let system = Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
        var seen = latest.load(ordering: .relaxed)
        while system > seen {
            let (exchanged, original) = latest.compareExchange(expected: seen, desired: system, ordering: .relaxed)
            if exchanged { return Timestamp(millisecondsSinceEpoch: system) }
            seen = original
        }
        return Timestamp(millisecondsSinceEpoch: seen)
    }
}
