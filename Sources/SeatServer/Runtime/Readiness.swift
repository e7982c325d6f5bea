import Synchronization

/// What `/readyz` and systemd's READY=1 report: storage open, the client listener
/// bound, and no shutdown under way.
final class Readiness: Sendable {
    private struct State {
        var storageOpen = false
        var listeningAddress: String?
        var shuttingDown = false
    }

    private let state = Mutex(State())
    private let listening: AsyncStream<String>
    private let listeningContinuation: AsyncStream<String>.Continuation

    init() {
        (listening, listeningContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
    }

    func markStorageOpen() {
        state.withLock { $0.storageOpen = true }
    }

    func markListening(address: String) {
        state.withLock { $0.listeningAddress = address }
        listeningContinuation.yield(address)
        listeningContinuation.finish()
    }

    func markShuttingDown() {
        state.withLock { $0.shuttingDown = true }
    }

    var isReady: Bool {
        state.withLock { $0.storageOpen && $0.listeningAddress != nil && !$0.shuttingDown }
    }

    var isShuttingDown: Bool {
        state.withLock { $0.shuttingDown }
    }

    var listeningAddress: String? {
        state.withLock { $0.listeningAddress }
    }

    /// Why the daemon is not ready, for the `/readyz` body; nil when it is.
    var notReadyReason: String? {
        state.withLock { state in
            if state.shuttingDown { return "shutting down" }
            if !state.storageOpen { return "storage not open" }
            if state.listeningAddress == nil { return "client listener not bound" }
            return nil
        }
    }

    /// Returns the client listener's address once it is bound (nil if cancelled first).
    func waitUntilListening() async -> String? {
        for await address in listening { return address }
        return listeningAddress
    }
}
