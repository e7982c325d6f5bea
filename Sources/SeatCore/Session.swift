/// Who holds a seat, for idempotency: the same user on the same machine, asking with the
/// same access key, gets the same session. The key is part of it so that knowing someone's
/// user name and hardware id (the default hardware id is world-readable) is not enough to
/// re-attach to their session and learn its token.
public struct Holder: Hashable, Sendable {
    public var user: String
    public var hardwareID: String
    /// The access key the session was acquired with; empty for the anonymous tenant and
    /// the admin socket.
    public var accessKeyID: String
    /// Whether the seat is borrowed (offline use). A borrow is its own holder: it never
    /// re-attaches to the holder's ordinary session (which would turn a heartbeated seat
    /// into one that needs none), nor an ordinary acquire to a borrowed seat.
    public var borrowing: Bool

    public init(user: String, hardwareID: String, accessKeyID: String = "", borrowing: Bool = false) {
        self.user = user
        self.hardwareID = hardwareID
        self.accessKeyID = accessKeyID
        self.borrowing = borrowing
    }
}

/// What a workstation tells the server when it asks for a seat.
public struct SeatRequest: Sendable, Equatable {
    public var licenseKey: String
    public var user: String
    public var hostname: String
    public var hardwareID: String
    public var clientVersion: String
    /// The peer address as the server saw it, for administrators.
    public var clientAddress: String
    /// The access key the request came with (set by the server); empty without one.
    public var accessKeyID: String
    /// For a borrow (offline use): how long the seat is wanted, before the policy's
    /// maximum caps it; `nil` for an ordinary, heartbeated seat.
    public var borrowMilliseconds: Int64?

    public init(
        licenseKey: String, user: String, hostname: String, hardwareID: String, clientVersion: String, clientAddress: String = "",
        accessKeyID: String = "", borrowMilliseconds: Int64? = nil
    ) {
        self.licenseKey = licenseKey
        self.user = user
        self.hostname = hostname
        self.hardwareID = hardwareID
        self.clientVersion = clientVersion
        self.clientAddress = clientAddress
        self.accessKeyID = accessKeyID
        self.borrowMilliseconds = borrowMilliseconds
    }

    public var holder: Holder { Holder(user: user, hardwareID: hardwareID, accessKeyID: accessKeyID, borrowing: borrowMilliseconds != nil) }
}

/// A seat held by a workstation.
public struct Session: Sendable, Equatable {
    public var token: SessionToken
    public var licenseKey: String
    public var user: String
    public var hostname: String
    public var hardwareID: String
    public var clientVersion: String
    public var clientAddress: String
    public var createdAt: Timestamp
    public var lastHeartbeatAt: Timestamp
    public var leaseExpiresAt: Timestamp
    /// The access key the session was acquired with; empty without one.
    public var accessKeyID: String
    /// Set for a borrowed seat: the id of the offline lease the server signed for it. A
    /// borrowed session needs no heartbeats: `leaseExpiresAt` is the borrow's expiry.
    public var borrowLeaseID: UInt64?

    public init(
        token: SessionToken,
        licenseKey: String,
        user: String,
        hostname: String,
        hardwareID: String,
        clientVersion: String,
        clientAddress: String,
        createdAt: Timestamp,
        lastHeartbeatAt: Timestamp,
        leaseExpiresAt: Timestamp,
        accessKeyID: String = "",
        borrowLeaseID: UInt64? = nil
    ) {
        self.token = token
        self.licenseKey = licenseKey
        self.user = user
        self.hostname = hostname
        self.hardwareID = hardwareID
        self.clientVersion = clientVersion
        self.clientAddress = clientAddress
        self.createdAt = createdAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.leaseExpiresAt = leaseExpiresAt
        self.accessKeyID = accessKeyID
        self.borrowLeaseID = borrowLeaseID
    }

    public var holder: Holder { Holder(user: user, hardwareID: hardwareID, accessKeyID: accessKeyID, borrowing: isBorrowed) }

    public var isBorrowed: Bool { borrowLeaseID != nil }

    /// A lease that has run out; the seat is reclaimable.
    public func isLapsed(at now: Timestamp) -> Bool { leaseExpiresAt <= now }
}

/// How a session ended. Kept (as a tombstone) for a while so a late heartbeat
/// learns why its session is gone instead of just "unknown".
public enum SessionEnd: UInt8, Sendable, Equatable, CaseIterable {
    case released = 1
    case expired = 2
    case revoked = 3
}

/// A session that ended, remembered for `LeasePolicy.endedSessionRetention`.
public struct EndedSession: Sendable, Equatable {
    public var token: SessionToken
    public var licenseKey: String
    /// The license's tenant, so a late heartbeat from another tenant learns nothing.
    public var tenant: String
    public var end: SessionEnd
    public var endedAt: Timestamp

    public init(token: SessionToken, licenseKey: String, tenant: String = License.defaultTenant, end: SessionEnd, endedAt: Timestamp) {
        self.token = token
        self.licenseKey = licenseKey
        self.tenant = tenant
        self.end = end
        self.endedAt = endedAt
    }
}
