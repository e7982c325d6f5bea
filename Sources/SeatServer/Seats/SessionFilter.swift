import SeatCore

/// Which live sessions an administrator means; every criterion given must match.
struct SessionFilter: Sendable, Equatable {
    var tenant: String?
    var licenseKey: String?
    var user: String?
    var hostname: String?
    /// A session id (see `SessionID`) or a prefix of one.
    var sessionIDPrefix: String?

    var isEmpty: Bool { tenant == nil && licenseKey == nil && user == nil && hostname == nil && sessionIDPrefix == nil }

    func matches(_ session: Session) -> Bool {
        if let user, session.user != user { return false }
        if let hostname, session.hostname != hostname { return false }
        if let sessionIDPrefix, !SessionID(session.token).hex.hasPrefix(sessionIDPrefix) { return false }
        return true
    }
}
