import Synchronization

/// A value set once and awaited by any number of tasks, which are resumed by `set` (from
/// whatever thread calls it) instead of blocking a thread of their own.
final class Latch<Value: Sendable>: Sendable {
    private enum State {
        case waiting([Int: CheckedContinuation<Value?, Never>])
        case set(Value)
    }

    private let state = Mutex(State.waiting([:]))
    private let nextWaiter = Atomic<Int>(0)

    /// The value, if set.
    var value: Value? {
        state.withLock { state in
            if case .set(let value) = state { value } else { nil }
        }
    }

    /// Sets the value and resumes every waiter; later calls change nothing.
    func set(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value?, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .set(value)
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// Waits for the value; nil when the task is cancelled first.
    func wait() async -> Value? {
        let id = nextWaiter.wrappingAdd(1, ordering: .relaxed).oldValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let ready = state.withLock { state -> Value?? in
                    switch state {
                    case .set(let value):
                        return .some(value)
                    case .waiting(var waiters):
                        // Cancelled before registering: the handler found nothing to resume.
                        if Task.isCancelled { return .some(nil) }
                        waiters[id] = continuation
                        state = .waiting(waiters)
                        return nil
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Value?, Never>? in
                guard case .waiting(var waiters) = state else { return nil }
                let waiter = waiters.removeValue(forKey: id)
                state = .waiting(waiters)
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Waits for the value for at most `timeout`; nil if it was not set in time.
    func wait(timeout: Duration) async -> Value? {
        await withTaskGroup(of: Value?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? value
        }
    }
}
