import SeatHTTP
import Synchronization

/// Counts open client connections against `max_connections`.
final class ConnectionLimiter: Sendable {
    private let open = Atomic<Int>(0)
    private let maximum: Atomic<Int>

    init(limit: Int) {
        maximum = Atomic(limit)
    }

    /// Changed by a SIGHUP reload; lowering it closes no open connection, it only
    /// refuses new ones until enough have gone.
    var limit: Int {
        get { maximum.load(ordering: .relaxed) }
        set { maximum.store(newValue, ordering: .relaxed) }
    }

    /// Takes a slot, or returns false at the limit.
    func tryAcquire() -> Bool {
        var current = open.load(ordering: .relaxed)
        let limit = self.limit
        while current < limit {
            let (exchanged, original) = open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }

    var openConnections: Int { open.load(ordering: .relaxed) }
}

struct ConnectionLimitReached: Error {}

/// The health listener counts its connections the same way.
extension ConnectionLimiter: ConnectionAdmission {}
