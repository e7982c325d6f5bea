import NIOCore

/// How this node takes part in the election.
public struct LeadershipConfiguration: Sendable, Equatable {
    /// This node's name (unique in the cluster) and the address clients reach it at, which
    /// standbys hand to clients looking for the active node.
    public var node: String
    public var address: String
    /// How long a renewal keeps the leadership, by PostgreSQL's clock: a standby takes over
    /// from a leader that has not renewed for this long.
    public var lease: TimeAmount
    /// How often a standby checks whether it can take over.
    public var pollInterval: TimeAmount
    /// How much sooner than the lease the active node gives up by its own clock when it
    /// could not renew, so it has stopped serving before a standby may take over.
    public var leaseMargin: TimeAmount
    /// The limit on each of a standby's queries (a renewal's limit is the lease deadline).
    public var queryTimeout: TimeAmount

    public static let defaultLease = TimeAmount.seconds(10)
    public static let defaultPollInterval = TimeAmount.milliseconds(250)

    /// `leaseMargin` defaults to a fifth of the lease, `queryTimeout` to a third.
    public init(
        node: String, address: String,
        lease: TimeAmount = defaultLease, pollInterval: TimeAmount = defaultPollInterval,
        leaseMargin: TimeAmount? = nil, queryTimeout: TimeAmount? = nil
    ) {
        self.node = node
        self.address = address
        self.lease = lease
        self.pollInterval = pollInterval
        self.leaseMargin = leaseMargin ?? .nanoseconds(lease.nanoseconds / 5)
        self.queryTimeout = queryTimeout ?? .nanoseconds(lease.nanoseconds / 3)
    }

    /// The active node renews three times per lease, so one lost renewal costs nothing.
    public var renewalInterval: TimeAmount { .nanoseconds(lease.nanoseconds / 3) }
}
