import Synchronization

/// Hands every lease state to any number of subscribers. Each subscriber first gets the
/// current state, then every change, and its stream ends after the final state.
final class StateBroadcaster: Sendable {
    private struct Subscribers {
        var current: LeaseState?
        var finished = false
        var nextID = 0
        var continuations: [Int: AsyncStream<LeaseState>.Continuation] = [:]
    }

    private let subscribers = Mutex(Subscribers())
    /// A slow reader keeps the newest states; older transitions are dropped rather than
    /// letting memory grow without bound.
    private static let bufferedStates = 256

    var current: LeaseState? { subscribers.withLock { $0.current } }

    func publish(_ state: LeaseState) {
        let continuations = subscribers.withLock { subscribers -> [AsyncStream<LeaseState>.Continuation] in
            guard !subscribers.finished else { return [] }
            subscribers.current = state
            return Array(subscribers.continuations.values)
        }
        for continuation in continuations { continuation.yield(state) }
    }

    /// Ends every stream; later subscribers get the current state and an ended stream.
    func finish() {
        let continuations = subscribers.withLock { subscribers -> [AsyncStream<LeaseState>.Continuation] in
            subscribers.finished = true
            defer { subscribers.continuations.removeAll() }
            return Array(subscribers.continuations.values)
        }
        for continuation in continuations { continuation.finish() }
    }

    func subscribe() -> AsyncStream<LeaseState> {
        let (stream, continuation) = AsyncStream.makeStream(of: LeaseState.self, bufferingPolicy: .bufferingNewest(Self.bufferedStates))
        // Register and replay under the lock, so no state is missed or delivered twice.
        let id: Int? = subscribers.withLock { subscribers in
            if let current = subscribers.current { continuation.yield(current) }
            guard !subscribers.finished else { return nil }
            let id = subscribers.nextID
            subscribers.nextID += 1
            subscribers.continuations[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.subscribers.withLock { _ = $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }
}
