/// What an access key lets its holder do.
public enum AccessRole: String, Sendable, Equatable, CaseIterable {
    /// Seat operations on its tenant's licenses.
    case client
    /// Administrative operations on every tenant.
    case admin
    /// Read-only: signs in to the dashboard (its tenant's licenses, or every tenant's
    /// without one) and nothing else; refused on the seat protocol.
    case viewer
}

/// A stored access key. The secret itself is never stored: only its SHA-256 digest.
public struct AccessKey: Sendable, Equatable {
    /// 16 lowercase hex digits; public (listed, used to revoke).
    public var id: String
    /// The tenant a client key acts for (and a viewer key sees); `nil` for an admin key
    /// and a viewer of every tenant.
    public var tenant: String?
    public var role: AccessRole
    /// SHA-256 of the secret's bytes (32 bytes).
    public var secretDigest: [UInt8]
    /// For people, e.g. "CAD workstations, building 2" (0...256 bytes).
    public var label: String
    public var createdAt: Timestamp
    /// Set once revoked; a revoked key never authenticates again.
    public var revokedAt: Timestamp?

    public init(id: String, tenant: String?, role: AccessRole, secretDigest: [UInt8], label: String, createdAt: Timestamp, revokedAt: Timestamp? = nil) {
        self.id = id
        self.tenant = tenant
        self.role = role
        self.secretDigest = secretDigest
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
