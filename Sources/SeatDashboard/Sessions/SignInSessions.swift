import SeatCore

/// A signed-in browser: which access key signed in, the token its forms must carry,
/// and when it must sign in again.
public struct SignInSession: Sendable, Equatable {
    /// 128 random bits as 32 hex digits; the session cookie's value.
    public var id: String
    public var keyID: String
    /// 128 random bits as 32 hex digits, put into every form of this session's pages.
    public var csrfToken: String
    public var expiresAt: Timestamp
}

/// The server side of dashboard sign-ins. Pure: time and randomness are passed in.
///
/// A session lasts `lifetimeMilliseconds` from sign-in, however busy (a stolen cookie is
/// worth a bounded time). At most `capacity` are kept; when full, expired ones go first,
/// then the one expiring soonest, so sign-in attempts cannot grow memory without bound.
public struct SignInSessionTable: Sendable {
    public let lifetimeMilliseconds: Int64
    public let capacity: Int
    private var sessions: [String: SignInSession] = [:]

    public init(lifetimeMilliseconds: Int64, capacity: Int = 10_000) {
        self.lifetimeMilliseconds = lifetimeMilliseconds
        self.capacity = capacity
    }

    public var count: Int { sessions.count }

    public mutating func open(keyID: String, now: Timestamp, using random: inout some RandomNumberGenerator) -> SignInSession {
        if sessions.count >= capacity { makeRoom(now: now) }
        let session = SignInSession(
            id: Self.randomHex(using: &random), keyID: keyID, csrfToken: Self.randomHex(using: &random),
            expiresAt: now.adding(milliseconds: lifetimeMilliseconds))
        sessions[session.id] = session
        return session
    }

    /// The live session `id` names; an expired one is forgotten and `nil`.
    public mutating func session(_ id: String, now: Timestamp) -> SignInSession? {
        guard let session = sessions[id] else { return nil }
        guard now < session.expiresAt else {
            sessions[id] = nil
            return nil
        }
        return session
    }

    public mutating func close(_ id: String) {
        sessions[id] = nil
    }

    private mutating func makeRoom(now: Timestamp) {
        sessions = sessions.filter { now < $0.value.expiresAt }
        if sessions.count >= capacity, let soonest = sessions.values.min(by: { $0.expiresAt < $1.expiresAt }) {
            sessions[soonest.id] = nil
        }
    }

    /// 128 bits as 32 lowercase hex digits.
    static func randomHex(using random: inout some RandomNumberGenerator) -> String {
        let words = [random.next() as UInt64, random.next() as UInt64]
        return words.map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }
}
