/// What holds one seat of a license, as the vendor signed it.
public enum SeatCounting: String, Sendable, CaseIterable {
    /// Every session holds a seat of its own (the default).
    case session
    /// A user holds one seat however many hosts they run on: their other sessions share it.
    case user
    /// A host (its hardware id) holds one seat whatever users run there.
    case host

    /// The name of the seat a session of `user` on `hardwareID` takes; `nil` under
    /// `session` counting, where every session takes a seat of its own.
    public func seatName(user: String, hardwareID: String) -> String? {
        switch self {
        case .session: nil
        case .user: user
        case .host: hardwareID
        }
    }

    /// One subject per seat `sessions` hold, as site policy rules count them: every
    /// session, or per shared seat the subject of the session that took it (`precedes`).
    public func seatHolders(of sessions: some Sequence<Session>) -> [PolicySubject] {
        guard self != .session else { return sessions.map(PolicySubject.init) }
        var first: [String: Session] = [:]
        for session in sessions {
            let name = seatName(user: session.user, hardwareID: session.hardwareID)!
            if let current = first[name], Self.precedes(current, session) { continue }
            first[name] = session
        }
        return first.values.map(PolicySubject.init)
    }

    /// The order of a seat's sessions, the first of which took it: by creation, then token.
    public static func precedes(_ a: Session, _ b: Session) -> Bool {
        (a.createdAt, a.token.high, a.token.low) < (b.createdAt, b.token.high, b.token.low)
    }
}
