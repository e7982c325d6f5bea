/// What the election tells the daemon.
public enum LeadershipEvent: Sendable, Equatable {
    /// This node now leads `epoch`: it must apply the whole log before it serves (no other
    /// node can append once the epoch has moved on), then commit as `epoch`.
    case becameActive(epoch: UInt64)
    /// This node no longer leads: it must stop serving at once. It carries on as a standby.
    case lostLeadership(LeadershipLossReason)
    /// The cluster's active node, as last seen (nil while none holds the leadership), for
    /// standbys to send clients to.
    case activeNodeChanged(node: String?, address: String?)
}

public enum LeadershipLossReason: Sendable, Equatable, CustomStringConvertible {
    /// The renewal found the epoch moved on or another session on the row: another node
    /// took over.
    case supplanted
    /// The renewal failed (an error, or no answer before the lease deadline).
    case renewalFailed(String)
    /// The session holding the advisory lock closed, and the lock with it.
    case lockSessionLost
    /// By this node's own clock the lease ran out without a successful renewal (e.g. the
    /// process was stopped, or PostgreSQL is slow to answer).
    case leaseDeadlinePassed

    public var description: String {
        switch self {
        case .supplanted: "another node took over"
        case .renewalFailed(let message): "the lease renewal failed: \(message)"
        case .lockSessionLost: "the session holding the leadership lock closed"
        case .leaseDeadlinePassed: "the lease ran out before a renewal succeeded"
        }
    }
}
