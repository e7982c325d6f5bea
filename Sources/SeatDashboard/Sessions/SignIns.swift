import SeatCore
import Synchronization

/// The sign-in table shared by the dashboard's requests, on the backend's clock.
final class SignIns: Sendable {
    private let table: Mutex<SignInSessionTable>
    private let now: @Sendable () -> Timestamp

    init(lifetimeSeconds: Int64, now: @escaping @Sendable () -> Timestamp) {
        table = Mutex(SignInSessionTable(lifetimeMilliseconds: lifetimeSeconds * 1000))
        self.now = now
    }

    var lifetimeSeconds: Int64 { table.withLock { $0.lifetimeMilliseconds / 1000 } }

    func open(keyID: String) -> SignInSession {
        let now = now()
        var random = SystemRandomNumberGenerator()
        return table.withLock { $0.open(keyID: keyID, now: now, using: &random) }
    }

    func session(_ id: String) -> SignInSession? {
        let now = now()
        return table.withLock { $0.session(id, now: now) }
    }

    func close(_ id: String) {
        table.withLock { $0.close(id) }
    }
}
