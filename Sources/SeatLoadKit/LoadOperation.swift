import SeatCore

/// The operation types measured separately (as in the peers' JSON record).
public enum LoadOperation: Int, CaseIterable, Sendable {
    case acquire, reacquire, heartbeat, release

    public var name: String {
        switch self {
        case .acquire: "acquire"
        case .reacquire: "reacquire"
        case .heartbeat: "heartbeat"
        case .release: "release"
        }
    }
}

/// A request a client state machine wants sent next.
public enum LoadRequest: Sendable, Equatable {
    case acquire(AcquireKey, LoadOperation)
    case heartbeat(SessionToken)
    case release(SessionToken)

    public var operation: LoadOperation {
        switch self {
        case .acquire(_, let operation): operation
        case .heartbeat: .heartbeat
        case .release: .release
        }
    }
}

/// The server's answer, reduced to what the state machines need.
public enum LoadReply: Sendable, Equatable {
    case granted(SessionToken, reattached: Bool)
    /// Heartbeat accepted or release done.
    case ok
    /// An Error reply with its wire code (e.g. 104 = noSeats).
    case refused(code: UInt16)
}
