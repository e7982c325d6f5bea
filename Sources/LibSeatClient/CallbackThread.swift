import CSeatClient
import Dispatch
import Foundation
import SeatClient

/// The thread that calls a lease's state callback, one event at a time, in order.
///
/// A thread of its own rather than a Swift task: the application's callback may block or
/// call back into the library (even `seat_lease_release`, which waits for Swift tasks),
/// which must never happen on one of Swift's few cooperative threads.
///
/// `@unchecked Sendable`: `Thread` is not marked Sendable, but this class only starts it
/// once (in `init`) and afterwards compares it by identity, which is safe from any thread.
final class CallbackThread: @unchecked Sendable {
    private let thread: Thread
    private let exited: DispatchSemaphore

    init(events: EventQueue, target: CallbackTarget) {
        let exited = DispatchSemaphore(value: 0)
        self.exited = exited
        thread = Thread {
            while let state = events.next(timeout: nil) {
                var event = CEvent.make(state)
                target.function(&event, target.userData)
            }
            exited.signal()
        }
        thread.name = "seatclient-callbacks"
        thread.start()
    }

    /// Whether the caller is this thread, i.e. inside the callback.
    var isCurrent: Bool { Thread.current === thread }

    /// Waits until the thread has delivered everything and ended. Never from the thread itself.
    func join() {
        exited.wait()
    }
}
