import NIOCore
import SeatCore
import SeatProtocol
import Synchronization

/// One open client or admin connection as the rest of the server sees it: who it acts
/// for, the sessions it has used (so a revocation can be pushed to it), and a way to
/// push to it or close it from any thread.
final class ConnectionLink: Sendable {
    private let channel: any Channel
    let peerAddress: String
    private struct State {
        var principal: Principal?
        var tokens: Set<SessionToken> = []
    }
    private let state: Mutex<State>

    init(channel: any Channel, peerAddress: String, principal: Principal?) {
        self.channel = channel
        self.peerAddress = peerAddress
        self.state = Mutex(State(principal: principal))
    }

    var principal: Principal? { state.withLock { $0.principal } }

    func authenticate(as principal: Principal) {
        state.withLock { $0.principal = principal }
    }

    /// Records that this connection used `token`; `false` when it already had.
    func noteToken(_ token: SessionToken) -> Bool {
        state.withLock { $0.tokens.insert(token).inserted }
    }

    func forgetToken(_ token: SessionToken) {
        _ = state.withLock { $0.tokens.remove(token) }
    }

    var tokens: Set<SessionToken> { state.withLock { $0.tokens } }

    /// Sends a server-initiated frame. The connection's `ConnectionHandler` writes it on
    /// the event loop, after the reply to any request in flight that it must not overtake.
    func push(_ message: ServerMessage) {
        channel.triggerUserOutboundEvent(ConnectionHandler.Command.push(message), promise: nil)
    }

    func close() {
        channel.close(promise: nil)
    }
}
