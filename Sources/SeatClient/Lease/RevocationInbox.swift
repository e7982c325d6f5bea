import SeatProtocol
import Synchronization

/// SessionRevoked notices waiting for the lease driver. The notices arrive on the
/// connection's event loop at any time, but the state machine takes one event at a time
/// from the driver's task: the inbox holds them until the driver's loop takes them, and
/// wakes the driver if it is sleeping until its next heartbeat.
final class RevocationInbox: Sendable {
    private struct Contents {
        var notices: [SessionRevokedNotice] = []
        var sleeper: CheckedContinuation<Void, Never>?
    }

    private let contents = Mutex(Contents())

    /// Queues a notice and wakes the waiting driver, if any.
    func post(_ notice: SessionRevokedNotice) {
        let sleeper = contents.withLock { contents in
            contents.notices.append(notice)
            defer { contents.sleeper = nil }
            return contents.sleeper
        }
        sleeper?.resume()
    }

    /// The notices queued so far, oldest first; the inbox is empty afterwards.
    func takeAll() -> [SessionRevokedNotice] {
        contents.withLock { contents in
            defer { contents.notices.removeAll() }
            return contents.notices
        }
    }

    /// Returns once a notice is queued, or when the task is cancelled.
    func waitForNotice() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = contents.withLock { contents in
                    // Checked under the lock: a cancellation after this point finds the sleeper.
                    if !contents.notices.isEmpty || Task.isCancelled { return true }
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
