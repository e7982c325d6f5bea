import SeatProtocol
import Synchronization

/// What happens to a lease's connection between the driver's actions.
enum LeaseConnectionEvent: Sendable, Equatable {
    /// The server revoked a session (SessionRevoked push).
    case revoked(SessionRevokedNotice)
    /// News of the lease's waiting acquire (QueuePosition, QueueGranted, WaitEnded pushes).
    case queue(QueueNews)
    /// The connection with this ``SeatConnection/number`` closed (server shutdown, key
    /// revoked, network).
    case closed(connection: UInt64)
}

/// Connection events waiting for the lease driver. They arrive on the connection's event
/// loop at any time, but the state machine takes one event at a time from the driver's
/// task: the inbox holds them until the driver's loop takes them, and wakes the driver if
/// it is sleeping until its next heartbeat.
final class LeaseInbox: Sendable {
    private struct Contents {
        var events: [LeaseConnectionEvent] = []
        var sleeper: CheckedContinuation<Void, Never>?
    }

    private let contents = Mutex(Contents())

    /// Queues an event and wakes the waiting driver, if any.
    func post(_ event: LeaseConnectionEvent) {
        let sleeper = contents.withLock { contents in
            contents.events.append(event)
            defer { contents.sleeper = nil }
            return contents.sleeper
        }
        sleeper?.resume()
    }

    /// The events queued so far, oldest first; the inbox is empty afterwards.
    func takeAll() -> [LeaseConnectionEvent] {
        contents.withLock { contents in
            defer { contents.events.removeAll() }
            return contents.events
        }
    }

    /// Returns once an event is queued, or when the task is cancelled.
    func waitForEvent() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = contents.withLock { contents in
                    // Checked under the lock: a cancellation after this point finds the sleeper.
                    if !contents.events.isEmpty || Task.isCancelled { return true }
                    contents.sleeper = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = contents.withLock { contents in
                defer { contents.sleeper = nil }
                return contents.sleeper
            }
            sleeper?.resume()
        }
    }
}
