import Foundation

// The objects admin replies are made of (docs/admin-protocol.md, "Objects in replies").
// Members the document marks as sometimes absent are optionals; members a newer server
// adds are ignored. Text-valued states stay `String`, so that a state a newer server adds
// is shown rather than failing the whole reply.

/// A license as the admin channel reports it.
public struct AdminLicense: Codable, Sendable, Equatable {
    public var key: String
    public var tenant: String
    public var seats: Int
    /// Up to `seats` plus the overage allowance.
    public var inUse: Int
    public var free: Int
    /// The vendor-signed overage (`none`, `+2`, `1.25x`); absent from servers before it.
    public var overage: String?
    /// Extra seats the overage allows past `seats`.
    public var overageAllowed: Int?
    /// Seats of `inUse` past `seats`.
    public var overageInUse: Int?
    public var tier: String?
    public var features: [String: String]?
    /// Absent for a license that never expires.
    public var expires: Date?
    /// The administrative state: `active`, `suspended` or `revoked`.
    public var state: String
    /// What Validate reports: `valid`, `expired`, `suspended` or `revoked`.
    public var status: String
    /// `file` (defined in `licenses_file`) or `admin` (added or imported over this channel).
    public var origin: String
    public var serial: String?
    public var issued: Date?
    /// The signing key's id; absent for an unsigned (development) license.
    public var signedBy: String?
    /// Acquires waiting in the license's queue; absent from servers without a queue.
    public var waiting: Int?
    /// Of the seats in use, how many are out on borrow (`status` and `license.list`; absent
    /// from older servers and from the replies of license changes).
    public var borrowed: Int?

    enum CodingKeys: String, CodingKey {
        case key, tenant, seats, inUse = "in_use", free, tier, features, expires, state, status, origin, serial, issued
        case signedBy = "signed_by", overage, overageAllowed = "overage_allowed", overageInUse = "overage_in_use", waiting, borrowed
    }

    public init(
        key: String, tenant: String, seats: Int, inUse: Int, free: Int, tier: String? = nil, features: [String: String]? = nil,
        expires: Date? = nil, state: String, status: String, origin: String, serial: String? = nil, issued: Date? = nil, signedBy: String? = nil,
        overage: String? = nil, overageAllowed: Int? = nil, overageInUse: Int? = nil
    ) {
        self.key = key
        self.tenant = tenant
        self.seats = seats
        self.inUse = inUse
        self.free = free
        self.tier = tier
        self.features = features
        self.expires = expires
        self.state = state
        self.status = status
        self.origin = origin
        self.serial = serial
        self.issued = issued
        self.signedBy = signedBy
        self.overage = overage
        self.overageAllowed = overageAllowed
        self.overageInUse = overageInUse
    }
}

/// A live session. `id` is the first 8 bytes of SHA-256 of the token, in hex: it names the
/// session to administrators without revealing the holder's secret.
public struct AdminSession: Codable, Sendable, Equatable {
    public var id: String
    public var license: String
    public var tenant: String
    public var user: String
    public var host: String
    public var hardwareID: String
    public var clientVersion: String
    public var address: String
    public var since: Date
    public var lastHeartbeat: Date
    public var expires: Date
    /// The seat it holds under user or host counting (the user, or the hardware id), shared
    /// by every session with the same one; absent under session counting.
    public var seat: String?
    /// For a borrowed seat, the id of its offline lease (`expires` is then the borrow's
    /// end); absent for a seat in use.
    public var borrowLease: String?

    enum CodingKeys: String, CodingKey {
        case id, license, tenant, user, host, hardwareID = "hardware_id", clientVersion = "client_version", address, since
        case lastHeartbeat = "last_heartbeat", expires, seat, borrowLease = "borrow_lease"
    }

    public init(
        id: String, license: String, tenant: String, user: String, host: String, hardwareID: String, clientVersion: String,
        address: String, since: Date, lastHeartbeat: Date, expires: Date, seat: String? = nil, borrowLease: String? = nil
    ) {
        self.id = id
        self.license = license
        self.tenant = tenant
        self.user = user
        self.host = host
        self.hardwareID = hardwareID
        self.clientVersion = clientVersion
        self.address = address
        self.since = since
        self.lastHeartbeat = lastHeartbeat
        self.expires = expires
        self.seat = seat
        self.borrowLease = borrowLease
    }
}

/// An organization whose licenses and keys are kept apart from every other's.
public struct AdminTenant: Codable, Sendable, Equatable {
    public var id: String
    public var name: String?
    public var created: Date
    /// How many licenses it has.
    public var licenses: Int
    /// How many access keys it has.
    public var keys: Int

    public init(id: String, name: String? = nil, created: Date, licenses: Int, keys: Int) {
        self.id = id
        self.name = name
        self.created = created
        self.licenses = licenses
        self.keys = keys
    }
}

/// What an access key may do.
public enum AdminKeyRole: String, Codable, Sendable, CaseIterable {
    /// Seat operations on its tenant's licenses.
    case client
    /// Administrative operations on every tenant.
    case admin
    /// Read-only dashboard sign-in: its tenant's licenses, or every tenant's without one.
    case viewer
}

/// An access key, without its secret (shown only once, by `key.create`).
public struct AdminKey: Codable, Sendable, Equatable {
    public var id: String
    /// Absent for an admin key, which is not bound to a tenant.
    public var tenant: String?
    public var role: AdminKeyRole
    public var label: String?
    public var created: Date
    /// When it was revoked; absent while it is valid.
    public var revoked: Date?

    public init(id: String, tenant: String? = nil, role: AdminKeyRole, label: String? = nil, created: Date, revoked: Date? = nil) {
        self.id = id
        self.tenant = tenant
        self.role = role
        self.label = label
        self.created = created
        self.revoked = revoked
    }
}

/// One entry of the audit log.
public struct AuditEventRecord: Codable, Sendable, Equatable {
    /// Increases with every event; orders them.
    public var seq: UInt64
    public var time: Date
    /// What happened: `grant`, `refusal`, `release`, `expiry`, `force_release`, `auth_failure`, `admin`.
    public var kind: String
    public var tenant: String?
    public var license: String?
    public var user: String?
    public var host: String?
    public var address: String?
    public var detail: String?
    /// Aggregated events only (`refusal`, `auth_failure`): how many occurred, and when the
    /// first and the last of them were seen.
    public var count: UInt64?
    public var first: Date?
    public var last: Date?

    public init(
        seq: UInt64, time: Date, kind: String, tenant: String? = nil, license: String? = nil, user: String? = nil,
        host: String? = nil, address: String? = nil, detail: String? = nil, count: UInt64? = nil, first: Date? = nil, last: Date? = nil
    ) {
        self.seq = seq
        self.time = time
        self.kind = kind
        self.tenant = tenant
        self.license = license
        self.user = user
        self.host = host
        self.address = address
        self.detail = detail
        self.count = count
        self.first = first
        self.last = last
    }
}

/// Someone waiting in a license's queue, at 1-based `position`.
public struct AdminWaiter: Codable, Sendable, Equatable {
    public var license: String
    public var tenant: String
    public var user: String
    public var host: String
    public var hardwareID: String
    public var address: String
    public var position: Int
    /// From the policy's `priority` rules; higher is served first.
    public var priority: Int
    public var since: Date

    enum CodingKeys: String, CodingKey {
        case license, tenant, user, host, hardwareID = "hardware_id", address, position, priority, since
    }
}
