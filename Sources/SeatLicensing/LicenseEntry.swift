import SeatCore

/// One license as a license document states it, checked against the limits the wire
/// format can carry but not yet verified: what the vendor signed (every field but
/// `state`), the site's administrative `state`, and the vendor's signature, if any.
public struct LicenseEntry: Sendable, Equatable {
    public var key: String
    public var tenant: String
    public var seats: Int
    /// Seats grantable past `seats`; `.none` is signed in layout 1 (`CanonicalLicenseBytes`).
    public var overage: Overage
    /// What holds a seat; `.session` is signed in layout 1.
    public var seatCounting: SeatCounting
    public var tier: String
    public var features: [String: String]
    /// `nil`: never expires.
    public var expiresAt: Timestamp?
    /// When the vendor issued it; `LicenseSigner` sets it if absent.
    public var issuedAt: Timestamp?
    /// The vendor's serial number; `LicenseSigner` draws a random one if absent.
    public var serial: String?
    /// The site's choice (active, suspended, revoked), not the vendor's: never signed.
    public var state: LicenseState?
    /// `nil`: unsigned (accepted only in development mode).
    public var signature: LicenseSignature?

    public init(
        key: String,
        tenant: String = License.defaultTenant,
        seats: Int,
        overage: Overage = .none,
        seatCounting: SeatCounting = .session,
        tier: String = "",
        features: [String: String] = [:],
        expiresAt: Timestamp? = nil,
        issuedAt: Timestamp? = nil,
        serial: String? = nil,
        state: LicenseState? = nil,
        signature: LicenseSignature? = nil
    ) {
        self.key = key
        self.tenant = tenant
        self.seats = seats
        self.overage = overage
        self.seatCounting = seatCounting
        self.tier = tier
        self.features = features
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.serial = serial
        self.state = state
        self.signature = signature
    }
}

/// A vendor's Ed25519 signature over an entry's canonical bytes (`CanonicalLicenseBytes`).
public struct LicenseSignature: Sendable, Equatable {
    /// `VendorPublicKey.keyID` of the key that made it: 16 lowercase hex digits.
    public var keyID: String
    /// The 64-byte Ed25519 signature.
    public var bytes: [UInt8]

    public init(keyID: String, bytes: [UInt8]) {
        self.keyID = keyID
        self.bytes = bytes
    }
}
