/// Administrative state of a license. Only `active` licenses grant or extend seats.
public enum LicenseState: String, Sendable, Codable, CaseIterable {
    case active
    case suspended
    case revoked
}

/// Why a license cannot be used right now.
public enum LicenseRefusal: Sendable, Equatable {
    case expired(at: Timestamp)
    case suspended
    case revoked
}

/// Where a license definition came from, and so who may change it.
public enum LicenseOrigin: String, Sendable, Codable, CaseIterable {
    /// The `licenses_file`: edit the file and reload to change it.
    case file
    /// Added or imported through the admin channel; changed through it too.
    case admin
}

/// Who issued a license definition and how it was vouched for.
public struct LicenseProvenance: Sendable, Equatable {
    /// The vendor's serial number of the license (0...64 bytes; empty when unsigned).
    public var serial: String
    /// When the vendor issued (signed) it.
    public var issuedAt: Timestamp?
    /// The id of the vendor key whose signature verified; `nil` for an unsigned license
    /// (accepted only in development mode).
    public var signingKeyID: String?
    public var origin: LicenseOrigin

    public init(serial: String = "", issuedAt: Timestamp? = nil, signingKeyID: String? = nil, origin: LicenseOrigin = .file) {
        self.serial = serial
        self.issuedAt = issuedAt
        self.signingKeyID = signingKeyID
        self.origin = origin
    }
}

/// A floating license: `seats` concurrent sessions shared by a team, and with an
/// overage up to `seatsAllowed`.
public struct License: Sendable, Equatable {
    /// The tenant of licenses that do not name one.
    public static let defaultTenant = "default"

    public var key: String
    /// The organization the license belongs to; only its clients can see or use it.
    public var tenant: String
    public var seats: Int
    /// Seats it may grant past `seats`, each grant flagged for the site's true-up.
    public var overage: Overage
    /// What holds a seat: a session (the default), a user or a host.
    public var seatCounting: SeatCounting
    public var tier: String
    public var features: [String: String]
    /// `nil` means the license never expires.
    public var expiresAt: Timestamp?
    public var state: LicenseState
    public var provenance: LicenseProvenance

    public init(
        key: String,
        tenant: String = License.defaultTenant,
        seats: Int,
        overage: Overage = .none,
        seatCounting: SeatCounting = .session,
        tier: String = "",
        features: [String: String] = [:],
        expiresAt: Timestamp? = nil,
        state: LicenseState = .active,
        provenance: LicenseProvenance = LicenseProvenance()
    ) {
        self.key = key
        self.tenant = tenant
        self.seats = seats
        self.overage = overage
        self.seatCounting = seatCounting
        self.tier = tier
        self.features = features
        self.expiresAt = expiresAt
        self.state = state
        self.provenance = provenance
    }

    /// Seats past `seats` that may be granted (`overage` applied to `seats`).
    public var overageAllowance: Int { overage.allowance(seats: seats) }

    /// The most seats ever in use at once: `seats` plus the overage allowance.
    public var seatsAllowed: Int { seats + overageAllowance }

    /// Of `seatsInUse` seats, those past `seats`: the overage a site reports at a true-up.
    public func seatsOverage(inUse seatsInUse: Int) -> Int { max(0, seatsInUse - seats) }

    /// `nil` when the license may be used at `now`; otherwise why not.
    /// A revoked or suspended license reports that before its expiry.
    public func refusal(at now: Timestamp) -> LicenseRefusal? {
        switch state {
        case .revoked: return .revoked
        case .suspended: return .suspended
        case .active: break
        }
        if let expiresAt, expiresAt <= now { return .expired(at: expiresAt) }
        return nil
    }
}
