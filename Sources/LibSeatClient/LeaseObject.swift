import SeatClient
import SeatProtocol
import Synchronization

/// The object behind a `seat_lease *`: the SeatLease, the queue its states go to, and the
/// callback thread if the config named a callback.
final class LeaseObject: Sendable {
    let lease: SeatLease
    let events = EventQueue()
    private let callbacks: CallbackThread?
    /// Reads `lease.states` into `events` until the final state.
    private let reader: Task<Void, Never>
    /// The latest grant (held or regained), for `seat_lease_get_info` and features.
    private let grant: Locked<AcquireGrant?>
    private let freed = Mutex(false)

    init(lease: SeatLease, callback: CallbackTarget?) {
        self.lease = lease
        var first: AcquireGrant?
        if case .held(let granted) = lease.state { first = granted }
        let grant = Locked(first)
        self.grant = grant
        let events = self.events
        reader = Task {
            for await state in lease.states {
                switch state {
                case .held(let granted), .regained(let granted, _): grant.withLock { $0 = granted }
                default: break
                }
                events.push(state)
            }
            events.finish()
        }
        callbacks = callback.map { CallbackThread(events: events, target: $0) }
    }

    /// The grant now held, or nil while no seat is.
    var currentGrant: AcquireGrant? {
        guard lease.state.isHeld else { return nil }
        return grant.value
    }

    var hasCallback: Bool { callbacks != nil }

    /// Ends the lease for `seat_lease_free`: cancels it unless it already ended, waits
    /// until its final state has been queued, and then until the callback thread has
    /// delivered it, unless this is that thread (then the rest is dropped).
    func shutDown() {
        guard freed.withLock({ done in defer { done = true }; return !done }) else { return }
        let lease = self.lease, reader = self.reader
        try? runBlocking {
            await lease.cancel()
            await reader.value
        }
        guard let callbacks else { return }
        if callbacks.isCurrent {
            events.close()
        } else {
            callbacks.join()
        }
    }

    /// The object a `seat_lease *` points at. The pointer came from `seat_acquire`.
    static func from(_ pointer: OpaquePointer?) throws(Failure) -> LeaseObject {
        guard let pointer else { throw .invalidArgument("the lease is NULL") }
        return Unmanaged<LeaseObject>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}
