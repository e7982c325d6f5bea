import SeatCore
import Synchronization

/// Finds the license actor that holds a session, so a heartbeat or release (which
/// carries only a token) reaches the right actor without asking every license.
final class SessionDirectory: Sendable {
    private let owners = Mutex<[SessionToken: LicenseActor]>([:])

    func owner(of token: SessionToken) -> LicenseActor? {
        owners.withLock { $0[token] }
    }

    func register(_ tokens: some Sequence<SessionToken>, owner: LicenseActor) {
        owners.withLock { map in
            for token in tokens { map[token] = owner }
        }
    }

    func remove(_ tokens: some Sequence<SessionToken>) {
        owners.withLock { map in
            for token in tokens { map[token] = nil }
        }
    }

    var count: Int { owners.withLock { $0.count } }
}
