import Foundation
import PostgresNIO

/// The leader row (`seatd_leader`) and who holds the leadership lock now, as PostgreSQL
/// sees them; `leaseExpired` is judged by PostgreSQL's clock, so nodes' clocks never matter.
public struct LeaderRecord: Sendable, Equatable {
    /// 0 until the first takeover.
    public var epoch: UInt64
    public var node: String?
    public var address: String?
    public var leaseUntil: Date?
    /// The backend of the session that took over for `epoch`.
    public var backendPID: Int32?
    /// True also when there never was a lease.
    public var leaseExpired: Bool
    /// The backend holding the advisory lock now, if any.
    public var lockHolderPID: Int32?

    public init(
        epoch: UInt64, node: String?, address: String?, leaseUntil: Date?, backendPID: Int32?,
        leaseExpired: Bool, lockHolderPID: Int32?
    ) {
        self.epoch = epoch
        self.node = node
        self.address = address
        self.leaseUntil = leaseUntil
        self.backendPID = backendPID
        self.leaseExpired = leaseExpired
        self.lockHolderPID = lockHolderPID
    }

    /// Reads the row and the lock holder (pg_locks shows a bigint advisory key as its high
    /// and low halves, with objsubid 1).
    static let query: PostgresQuery = """
        SELECT epoch, node, address, lease_until, backend_pid,
               coalesce(lease_until < now(), true),
               (SELECT pid FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND objsubid = 1
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND classid::bigint = \(ClusterSchema.leadershipLockKey >> 32)
                  AND objid::bigint = \(ClusterSchema.leadershipLockKey & 0xFFFF_FFFF)
                LIMIT 1)
        FROM seatd_leader WHERE id = 1
        """

    init(row: PostgresRow) throws {
        let (epoch, node, address, leaseUntil, backendPID, leaseExpired, lockHolderPID) =
            try row.decode((Int64, String?, String?, Date?, Int32?, Bool, Int32?).self)
        self.init(
            epoch: UInt64(epoch), node: node, address: address, leaseUntil: leaseUntil, backendPID: backendPID,
            leaseExpired: leaseExpired, lockHolderPID: lockHolderPID
        )
    }
}
