import Foundation
import SeatClient
import SeatCore

/// A lease's state changes on their way to the application: pushed by the task that reads
/// `SeatLease.states`, taken by `seat_lease_poll` or by the callback thread.
///
/// `@unchecked Sendable`: every stored property is read and written only under `condition`.
final class EventQueue: @unchecked Sendable {
    /// Unread events kept; beyond it the oldest go first (seat.h says so).
    static let capacity = 64

    private let condition = NSCondition()
    private var pending: [LeaseState] = []
    /// No more pushes: the lease reached its final state.
    private var finished = false

    func push(_ state: LeaseState) {
        condition.lock()
        defer { condition.unlock() }
        if pending.count == Self.capacity { pending.removeFirst() }
        pending.append(state)
        condition.broadcast()
    }

    /// After the final state: `next` returns nil once the rest are taken.
    func finish() {
        condition.lock()
        defer { condition.unlock() }
        finished = true
        condition.broadcast()
    }

    /// Drops what is unread and ends the queue (a lease freed from its own callback).
    func close() {
        condition.lock()
        defer { condition.unlock() }
        pending.removeAll()
        finished = true
        condition.broadcast()
    }

    /// The next event, waiting up to `timeout` (nil: without limit); nil when none came in
    /// time or the queue is finished and empty.
    func next(timeout: Duration?) -> LeaseState? {
        let deadline = timeout.map { Date(timeIntervalSinceNow: $0.inSeconds) }
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !finished {
            if let deadline {
                if !condition.wait(until: deadline) { break }
            } else {
                condition.wait()
            }
        }
        return pending.isEmpty ? nil : pending.removeFirst()
    }
}
