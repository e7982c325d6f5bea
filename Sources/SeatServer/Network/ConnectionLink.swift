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
    /// Unique among the server's connections; names the connection in its waits (`WaiterID`).
    let id: UInt64
    private struct State {
        var principal: Principal?
        var tokens: Set<SessionToken> = []
        /// The connection's waits in license queues: for each license and holder (who has
        /// one place per license), the request id of its latest AcquireOrWait.
        var waits: [WaitKey: UInt32] = [:]
    }
    private let state: Mutex<State>
    private static let nextID = Atomic<UInt64>(1)

    init(channel: any Channel, peerAddress: String, principal: Principal?) {
        self.channel = channel
        self.peerAddress = peerAddress
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        self.state = Mutex(State(principal: principal))
    }

    /// The waiter id of this connection's AcquireOrWait `requestID`.
    func waiterID(_ requestID: UInt32) -> WaiterID { WaiterID(connection: id, request: requestID) }

    private struct WaitKey: Hashable {
        var licenseKey: String
        var holder: Holder
    }

    /// Records a wait of `holder` for `licenseKey`; `false` (nothing recorded) when the
    /// connection already holds `limit` other waits. Asking again for a place (a new
    /// request id of the same holder) takes the place of the wait it supersedes.
    func beginWait(_ requestID: UInt32, licenseKey: String, holder: Holder, limit: Int) -> Bool {
        state.withLock { state in
            let key = WaitKey(licenseKey: licenseKey, holder: holder)
            guard state.waits[key] != nil || state.waits.count < limit else { return false }
            state.waits[key] = requestID
            return true
        }
    }

    func endWait(_ requestID: UInt32) {
        state.withLock { state in
            guard let key = state.waits.first(where: { $0.value == requestID })?.key else { return }
            state.waits[key] = nil
        }
    }

    /// The licenses this connection waits for (to give the places up when it closes).
    var waitedLicenses: Set<String> { state.withLock { Set($0.waits.keys.map(\.licenseKey)) } }

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
