import NIOCore
import ServiceLifecycle
import Synchronization

/// The open connections of one listener, so that a graceful shutdown can tell each to
/// finish and close, and wait until they have.
final class ConnectionRoster: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
        /// Set when waiting was given up (the shutdown timeout): the waiter returns at once.
        var abandoned = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    /// Returns when `listener` has closed and its connections with it. On graceful
    /// shutdown it closes `listener` (no new connections) and lets every connection finish
    /// the request in hand; cancellation (the shutdown timeout) cuts them and throws.
    func serveUntilShutdown(listener: any Channel) async throws {
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await listener.closeFuture.get()
            } onGracefulShutdown: {
                listener.close(promise: nil)
                self.beginShutdown()
            }
            await waitUntilEmpty()
        } onCancel: {
            listener.close(promise: nil)
            abandon()
        }
        try Task.checkCancellation()
    }

    /// Tracks `channel` until it closes; one accepted during a shutdown is told at once.
    /// Call once its `ConnectionHandler` is in the pipeline.
    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let shuttingDown = state.withLock { state in
            state.channels[id] = channel
            return state.shuttingDown
        }
        channel.closeFuture.whenComplete { _ in self.remove(id) }
        if shuttingDown { Self.tellToShutDown(channel) }
    }

    /// Tells every connection to finish the request in hand and close.
    private func beginShutdown() {
        let channels = state.withLock { state in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
        for channel in channels { Self.tellToShutDown(channel) }
    }

    /// Returns once every connection has closed, or at once after `abandon`.
    private func waitUntilEmpty() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                guard state.channels.isEmpty || state.abandoned else {
                    state.waiter = continuation
                    return false
                }
                return true
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Closes every connection without waiting for it, and releases the waiter.
    private func abandon() {
        let (channels, waiter) = state.withLock { state in
            state.abandoned = true
            defer { state.waiter = nil }
            return (Array(state.channels.values), state.waiter)
        }
        for channel in channels { channel.close(promise: nil) }
        waiter?.resume()
    }

    private func remove(_ id: ObjectIdentifier) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.channels[id] = nil
            guard state.channels.isEmpty else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private static func tellToShutDown(_ channel: any Channel) {
        channel.triggerUserOutboundEvent(ConnectionHandler.Command.beginShutdown, promise: nil)
    }
}
