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

    /// Whether a heartbeat at `now` is written to storage, the last one stored being at
    /// `lastStored`: not when it comes within half a heartbeat interval of that one. A
    /// client heartbeating on schedule has every heartbeat stored; one heartbeating faster
    /// (or a flood of heartbeats) costs a write per half interval, not one per heartbeat.
    /// The stored heartbeat then lags the last one by less than half an interval, which the
    /// restart rule's extra interval covers (`restoredLeaseExpiry`).
    public func storesHeartbeat(at now: Timestamp, lastStored: Timestamp) -> Bool {
        now.millisecondsSinceEpoch - lastStored.millisecondsSinceEpoch >= heartbeatIntervalMilliseconds / 2
    }
}

extension LeasePolicy {
    /// The lease a stored session gets when the daemon starts again. Heartbeats are
    /// persisted lazily (and those within half an interval of the last stored one not at
    /// all), so the stored lease may be one heartbeat older than the last one a client was
    /// told about. A stored session therefore gets one heartbeat interval on
    /// top of a full lease from its last stored heartbeat: a client heartbeating on
    /// schedule keeps its seat across a restart or crash, and a seat nobody heartbeats is
    /// reclaimed within lease + one interval of its last heartbeat, however often the
    /// daemon restarts in between (the restart time plays no part, so a crash loop cannot
    /// keep an abandoned seat).
    public func restoredLeaseExpiry(stored: Timestamp, lastHeartbeatAt: Timestamp) -> Timestamp {
        max(stored, lastHeartbeatAt.adding(milliseconds: leaseMilliseconds + heartbeatIntervalMilliseconds))
    }
}
