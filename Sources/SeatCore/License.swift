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

/// A floating license: `seats` concurrent sessions shared by a team.
public struct License: Sendable, Equatable {
    public var key: String
    public var seats: Int
    public var tier: String
    public var features: [String: String]
    /// `nil` means the license never expires.
    public var expiresAt: Timestamp?
    public var state: LicenseState

    public init(
        key: String,
        seats: Int,
        tier: String = "",
        features: [String: String] = [:],
        expiresAt: Timestamp? = nil,
        state: LicenseState = .active
    ) {
        self.key = key
        self.seats = seats
        self.tier = tier
        self.features = features
        self.expiresAt = expiresAt
        self.state = state
    }

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
