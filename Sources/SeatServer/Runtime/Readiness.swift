import Synchronization

/// What `/readyz` and systemd's READY=1 report: storage open, the client listener and
/// the admin socket bound (so `seatctl` works as soon as `systemctl start` returns), and
/// no shutdown under way.
final class Readiness: Sendable {
    private struct State {
        var storageOpen = false
        var listeningAddress: String?
        var adminSocketBound = false
        var shuttingDown = false
        var shutdownBegan: ContinuousClock.Instant?
        /// Set on a standby (storage = postgresql): why it does not serve, as of now.
        var standby: (@Sendable () -> String)?

        var listenersBound: Bool { listeningAddress != nil && adminSocketBound }
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
        publishIfBound()
    }

    func markAdminSocketBound() {
        state.withLock { $0.adminSocketBound = true }
        publishIfBound()
    }

    private func publishIfBound() {
        guard let address = state.withLock({ $0.listenersBound ? $0.listeningAddress : nil }) else { return }
        listeningContinuation.yield(address)
        listeningContinuation.finish()
    }

    /// A standby is never ready: load balancers and probes must send clients to the active node.
    func markStandby(_ reason: @escaping @Sendable () -> String) {
        state.withLock { $0.standby = reason }
    }

    func markShuttingDown() {
        state.withLock { state in
            if !state.shuttingDown { state.shutdownBegan = ContinuousClock.now }
            state.shuttingDown = true
        }
    }

    /// When the graceful shutdown began (nil while serving).
    var shutdownBegan: ContinuousClock.Instant? {
        state.withLock { $0.shutdownBegan }
    }

    var isReady: Bool {
        state.withLock { $0.storageOpen && $0.listenersBound && !$0.shuttingDown && $0.standby == nil }
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
            if let standby = state.standby { return standby() }
            if !state.storageOpen { return "storage not open" }
            if state.listeningAddress == nil { return "client listener not bound" }
            if !state.adminSocketBound { return "admin socket not bound" }
            return nil
        }
    }

    /// Returns the client listener's address once it and the admin socket are bound (nil
    /// if cancelled first).
    func waitUntilListening() async -> String? {
        for await address in listening { return address }
        return listeningAddress
    }
}
