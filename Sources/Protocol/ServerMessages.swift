import SeatCore

/// The server's answer to a compatible Hello (type `0x81`).
public struct HelloAccepted: Sendable, Equatable {
    /// The protocol version used for the rest of the connection.
    public var version: UInt16
    /// The largest frame body the server accepts.
    public var maximumFrameBytes: UInt32
    /// How long a session lives after an acquire or heartbeat.
    public var leaseMilliseconds: UInt32
    /// How often a client should heartbeat each session.
    public var heartbeatIntervalMilliseconds: UInt32
    /// A free-form server identification for logs (0...64 bytes).
    public var serverName: String

    /// Creates a HelloAccepted.
    public init(
        version: UInt16,
        maximumFrameBytes: UInt32,
        leaseMilliseconds: UInt32,
        heartbeatIntervalMilliseconds: UInt32,
        serverName: String
    ) {
        self.version = version
        self.maximumFrameBytes = maximumFrameBytes
        self.leaseMilliseconds = leaseMilliseconds
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
        self.serverName = serverName
    }
}

/// A granted seat (type `0x82`).
public struct AcquireGrant: Sendable, Equatable {
    /// The session's secret; needed to heartbeat and release it.
    public var token: SessionToken
    /// When the seat is lost unless a heartbeat arrives first.
    public var leaseExpiresAt: Timestamp
    /// How often the client should heartbeat this session.
    public var heartbeatIntervalMilliseconds: UInt32
    /// Seats the license has.
    public var seatsTotal: UInt32
    /// Seats taken, including this one; up to `seatsTotal + overageSeats` (version 1:
    /// never more than `seatsTotal`).
    public var seatsInUse: UInt32
    /// `true` when the holder's existing live session was returned (and its lease renewed)
    /// instead of a new one.
    public var reattached: Bool
    /// The license's tier, e.g. `"pro"` (0...64 bytes).
    public var tier: String
    /// When the license expires; `nil` for never.
    public var licenseExpiresAt: Timestamp?
    /// The license's feature flags (at most 64; keys 1...64 bytes, values 0...256 bytes).
    public var features: [String: String]
    /// Seats the license may grant past `seatsTotal` (its vendor-signed overage), and
    /// whether this session holds one of them. `nil` in protocol version 1.
    public var overage: GrantOverage?

    /// Creates a grant.
    public init(
        token: SessionToken,
        leaseExpiresAt: Timestamp,
        heartbeatIntervalMilliseconds: UInt32,
        seatsTotal: UInt32,
        seatsInUse: UInt32,
        reattached: Bool,
        tier: String,
        licenseExpiresAt: Timestamp?,
        features: [String: String],
        overage: GrantOverage? = nil
    ) {
        self.token = token
        self.leaseExpiresAt = leaseExpiresAt
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
        self.seatsTotal = seatsTotal
        self.seatsInUse = seatsInUse
        self.reattached = reattached
        self.tier = tier
        self.licenseExpiresAt = licenseExpiresAt
        self.features = features
        self.overage = overage
    }
}

/// The overage fields of Acquired (protocol version 2).
public struct GrantOverage: Sendable, Equatable {
    /// Seats the license may grant past `seatsTotal`; 0 without an overage.
    public var overageSeats: UInt32
    /// This session holds a seat past `seatsTotal`: the site reports it at a true-up.
    public var isOverage: Bool

    public init(overageSeats: UInt32, isOverage: Bool) {
        self.overageSeats = overageSeats
        self.isOverage = isOverage
    }
}

/// A borrowed seat (type `0x8B`): the session (returned early with a Release of its token)
/// and the offline lease the server signed for it.
public struct BorrowGrant: Sendable, Equatable {
    /// The session's secret; a Release of it returns the seat early.
    public var token: SessionToken
    /// When the borrow ends and the seat frees up by itself (the lease's expiry).
    public var expiresAt: Timestamp
    public var seatsTotal: UInt32
    /// Seats taken, including this one.
    public var seatsInUse: UInt32
    /// `true` when the holder's borrowed seat was returned again (same lease, same expiry).
    public var reattached: Bool
    /// The signed offline lease (1...1024 bytes; its layout is in protocol-spec.md).
    public var lease: [UInt8]

    public init(token: SessionToken, expiresAt: Timestamp, seatsTotal: UInt32, seatsInUse: UInt32, reattached: Bool, lease: [UInt8]) {
        self.token = token
        self.expiresAt = expiresAt
        self.seatsTotal = seatsTotal
        self.seatsInUse = seatsInUse
        self.reattached = reattached
        self.lease = lease
    }
}

/// An extended lease (type `0x83`).
public struct HeartbeatAccepted: Sendable, Equatable {
    /// The new lease expiry.
    public var leaseExpiresAt: Timestamp
    /// How often the client should heartbeat this session from now on.
    public var heartbeatIntervalMilliseconds: UInt32

    /// Creates a HeartbeatAccepted.
    public init(leaseExpiresAt: Timestamp, heartbeatIntervalMilliseconds: UInt32) {
        self.leaseExpiresAt = leaseExpiresAt
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
    }
}

/// The answer to a release (type `0x84`).
public struct ReleaseResult: Sendable, Equatable {
    /// `true` when this request ended the session; `false` when it had already ended.
    public var ended: Bool
    /// Seats the license has.
    public var seatsTotal: UInt32
    /// Seats taken after the release.
    public var seatsInUse: UInt32

    /// Creates a ReleaseResult.
    public init(ended: Bool, seatsTotal: UInt32, seatsInUse: UInt32) {
        self.ended = ended
        self.seatsTotal = seatsTotal
        self.seatsInUse = seatsInUse
    }
}

/// A license's status as reported by Validate.
public enum LicenseStatus: UInt8, Sendable, CaseIterable {
    /// Usable now.
    case valid = 0
    /// Past its expiry.
    case expired = 1
    /// Suspended by an administrator.
    case suspended = 2
    /// Revoked by an administrator.
    case revoked = 3
}

/// The answer to a validate (type `0x85`).
public struct ValidateResult: Sendable, Equatable {
    /// Whether the license can be used now.
    public var status: LicenseStatus
    /// The license's tier (0...64 bytes).
    public var tier: String
    /// When the license expires; `nil` for never.
    public var licenseExpiresAt: Timestamp?
    /// The license's feature flags.
    public var features: [String: String]
    /// Seats the license has.
    public var seatsTotal: UInt32
    /// Seats taken now; up to `seatsTotal + overageSeats` (version 1: up to `seatsTotal`).
    public var seatsInUse: UInt32
    /// Seats the license may grant past `seatsTotal`; `nil` in protocol version 1.
    public var overageSeats: UInt32?

    /// Creates a ValidateResult.
    public init(
        status: LicenseStatus,
        tier: String,
        licenseExpiresAt: Timestamp?,
        features: [String: String],
        seatsTotal: UInt32,
        seatsInUse: UInt32,
        overageSeats: UInt32? = nil
    ) {
        self.status = status
        self.tier = tier
        self.licenseExpiresAt = licenseExpiresAt
        self.features = features
        self.seatsTotal = seatsTotal
        self.seatsInUse = seatsInUse
        self.overageSeats = overageSeats
    }
}

/// What an access key grants (`Authenticated.role`).
public enum PrincipalRole: UInt8, Sendable, CaseIterable {
    /// Seat operations on the tenant's licenses.
    case client = 0
    /// Administrative operations (and seat operations) on every tenant.
    case admin = 1
}

/// The answer to a valid Authenticate (type `0x86`).
public struct Authenticated: Sendable, Equatable {
    /// The tenant the connection now acts for; empty for an admin key, which is not
    /// bound to one tenant.
    public var tenant: String
    public var role: PrincipalRole

    public init(tenant: String, role: PrincipalRole) {
        self.tenant = tenant
        self.role = role
    }
}

/// Why the server ended a session on its own (`SessionRevokedNotice.reason`).
public enum RevocationReason: UInt8, Sendable, CaseIterable {
    /// An administrator force-released the session.
    case forceReleased = 1
    /// The license was revoked.
    case licenseRevoked = 2
    /// The license was deleted.
    case licenseDeleted = 3
}

/// A server-initiated notice (type `0xA0`, request id 0): a session this connection used
/// has ended at the server's initiative; its seat is already free, and a heartbeat of its
/// token gets ``ErrorCode/sessionRevoked``.
public struct SessionRevokedNotice: Sendable, Equatable {
    public var token: SessionToken
    public var reason: RevocationReason
    /// For the user, e.g. "released by an administrator" (0...1024 bytes).
    public var message: String

    public init(token: SessionToken, reason: RevocationReason, message: String) {
        self.token = token
        self.reason = reason
        self.message = message
    }
}

/// Every message a server sends. Replies carry the request id of the request they answer.
public enum ServerMessage: Sendable, Equatable {
    /// Answers Hello.
    case helloAccepted(HelloAccepted)
    /// Answers Acquire.
    case acquired(AcquireGrant)
    /// Answers Heartbeat.
    case heartbeatAccepted(HeartbeatAccepted)
    /// Answers Release.
    case released(ReleaseResult)
    /// Answers Validate.
    case validated(ValidateResult)
    /// Answers Authenticate.
    case authenticated(Authenticated)
    /// Answers an AdminRequest (type `0x90`): a JSON object described in
    /// `docs/admin-protocol.md`.
    case adminReply(json: String)
    /// Answers AcquireOrWait when no seat is free: the request waits in the queue.
    case queued(QueuePlace)
    /// Sent on the server's own initiative with request id 0.
    case sessionRevoked(SessionRevokedNotice)
    /// Pushed (request id 0): a waiting acquire moved up in the queue.
    case queuePosition(QueuePositionNotice)
    /// Pushed (request id 0): a waiting acquire got its seat.
    case queueGranted(QueueGrantNotice)
    /// Pushed (request id 0): the server gave up a waiting acquire.
    case waitEnded(WaitEndedNotice)
    /// Answers any request that failed (type `0xFF`).
    case error(ErrorReply)
    /// A borrowed seat and its offline lease.
    case borrowed(BorrowGrant)
}
