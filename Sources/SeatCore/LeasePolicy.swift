/// Lease timing the server applies and advertises.
public struct LeasePolicy: Sendable, Equatable {
    /// How long a session lives after its last acquire or heartbeat.
    public var leaseMilliseconds: Int64
    /// The heartbeat interval the server advises clients to use; shorter than the lease
    /// so a client survives a lost heartbeat or two.
    public var heartbeatIntervalMilliseconds: Int64

    public init(leaseMilliseconds: Int64, heartbeatIntervalMilliseconds: Int64) {
        self.leaseMilliseconds = leaseMilliseconds
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
    }

    /// Six-minute lease, heartbeat every two minutes: a client may miss two heartbeats.
    public static let standard = LeasePolicy(leaseMilliseconds: 360_000, heartbeatIntervalMilliseconds: 120_000)

    public func leaseExpiry(from now: Timestamp) -> Timestamp {
        now.adding(milliseconds: leaseMilliseconds)
    }
}

extension LeasePolicy {
    /// The lease a stored session gets when the daemon starts again. Heartbeats are
    /// persisted lazily, so the stored expiry may be older than the last heartbeat a
    /// client got acknowledged. Every session that was live in storage therefore gets
    /// at least a full lease from the restart: a client that keeps heartbeating on
    /// schedule never loses its seat across a restart or crash.
    public func restoredLeaseExpiry(stored: Timestamp, restartedAt: Timestamp) -> Timestamp {
        max(stored, leaseExpiry(from: restartedAt))
    }
}
