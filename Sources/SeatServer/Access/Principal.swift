import SeatCore

/// Who a connection acts for: a tenant's client, or an administrator who sees every tenant.
struct Principal: Sendable, Equatable {
    /// The tenant a client acts for; `nil` for an administrator.
    let tenant: String?
    let role: AccessRole
    /// The access key it authenticated with; `nil` for the admin socket and the anonymous tenant.
    let keyID: String?

    static let administrator = Principal(tenant: nil, role: .admin, keyID: nil)

    static func anonymous(tenant: String) -> Principal {
        Principal(tenant: tenant, role: .client, keyID: nil)
    }

    init(tenant: String?, role: AccessRole, keyID: String?) {
        self.tenant = tenant
        self.role = role
        self.keyID = keyID
    }

    init(_ key: AccessKey) {
        self.init(tenant: key.role == .admin ? nil : key.tenant, role: key.role, keyID: key.id)
    }

    var isAdministrator: Bool { role == .admin }

    /// Whether this principal may see and use licenses and sessions of `tenant`.
    func canAccess(tenant licenseTenant: String) -> Bool {
        tenant == nil || tenant == licenseTenant
    }
}
