import SeatCore
import SeatProtocol
import Synchronization

/// Every open connection, and for each live session the connection that last used it,
/// so the server can tell a holder at once that its session was revoked, and close the
/// connections of a revoked access key.
final class ConnectionDirectory: Sendable {
    private struct State {
        var links: [UInt64: ConnectionLink] = [:]
        var holders: [SessionToken: ConnectionLink] = [:]
    }
    private let state = Mutex(State())

    func register(_ link: ConnectionLink) {
        state.withLock { $0.links[link.id] = link }
    }

    func unregister(_ link: ConnectionLink) {
        let tokens = link.tokens
        state.withLock { state in
            state.links[link.id] = nil
            for token in tokens where state.holders[token] === link {
                state.holders[token] = nil
            }
        }
    }

    /// `link` acquired or heartbeated `token`: it is the one to notify from now on.
    func attach(_ token: SessionToken, to link: ConnectionLink) {
        guard link.noteToken(token) else { return }
        let previous = state.withLock { $0.holders.updateValue(link, forKey: token) }
        if let previous, previous !== link { previous.forgetToken(token) }
    }

    /// The sessions ended (released or expired): their connections stop tracking them, so
    /// a long-lived connection that acquires and releases does not grow.
    func forget(_ tokens: some Sequence<SessionToken>) {
        let links = state.withLock { state in tokens.compactMap { token in state.holders.removeValue(forKey: token).map { (token, $0) } } }
        for (token, link) in links { link.forgetToken(token) }
    }

    /// Sessions ended at the server's initiative: tell each holder that is still connected.
    func notifyRevoked(_ tokens: [SessionToken], reason: RevocationReason, message: String) {
        let links = state.withLock { state in tokens.map { state.holders.removeValue(forKey: $0) } }
        for (token, link) in zip(tokens, links) {
            guard let link else { continue }
            link.forgetToken(token)
            link.push(.sessionRevoked(SessionRevokedNotice(token: token, reason: reason, message: message)))
        }
    }

    /// News of a wait (protocol-spec.md 9a) for the connection that waits, if it is still
    /// open. A grant makes the connection the session's holder; a grant or an end closes
    /// the wait on the connection.
    func notifyWait(_ id: WaiterID, _ message: ServerMessage) {
        guard let link = state.withLock({ $0.links[id.connection] }) else { return }
        switch message {
        case .queueGranted(let notice):
            link.endWait(id.request)
            attach(notice.grant.token, to: link)
        case .waitEnded:
            link.endWait(id.request)
        default:
            break
        }
        link.push(message)
    }

    /// Closes every connection authenticated with access key `keyID`. Returns how many.
    @discardableResult
    func closeConnections(authenticatedWith keyID: String) -> Int {
        let links = state.withLock { $0.links.values.filter { $0.principal?.keyID == keyID } }
        for link in links { link.close() }
        return links.count
    }

    var openConnections: Int { state.withLock { $0.links.count } }

    /// Sessions whose holder's connection is known.
    var attachedSessions: Int { state.withLock { $0.holders.count } }
}
