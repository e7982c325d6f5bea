import SeatCore

/// Who a connection acts for: a tenant's client, or an administrator who sees every tenant.
///
/// The reach is explicit (`Scope`), and only the admin and viewer roles can have
/// `allTenants`: a missing tenant never widens a client to every tenant.
struct Principal: Sendable, Equatable {
    enum Scope: Sendable, Equatable {
        case tenant(String)
        case allTenants
    }

    let scope: Scope
    let role: AccessRole
    /// The access key it authenticated with; `nil` for the admin socket and the anonymous tenant.
    let keyID: String?
    /// Who acts, as the audit log and the log name them: `unix:alice (uid 1000)` on the
    /// admin socket, `key:<id> (<label>)` for an access key.
    let actor: String

    /// The admin socket's principal when the peer's credentials are unknown.
    static let administrator = Principal(scope: .allTenants, role: .admin, keyID: nil, actor: "admin-socket")

    /// The admin socket's principal for the process that connected (SO_PEERCRED).
    static func socketAdministrator(uid: UInt32, userName: String?) -> Principal {
        Principal(scope: .allTenants, role: .admin, keyID: nil, actor: "unix:\(userName ?? "?") (uid \(uid))")
    }

    /// Unauthenticated clients of `anonymous_tenant`.
    static func anonymous(tenant: String) -> Principal {
        Principal(scope: .tenant(tenant), role: .client, keyID: nil, actor: "anonymous")
    }

    private init(scope: Scope, role: AccessRole, keyID: String?, actor: String) {
        self.scope = scope
        self.role = role
        self.keyID = keyID
        self.actor = actor
    }

    /// The principal of an access key: an admin key sees every tenant, a client key its
    /// tenant, a viewer key its tenant or, without one, every tenant. `nil` for a client
    /// key without a tenant (no such key can be created; one in storage is refused rather
    /// than trusted with every tenant).
    init?(_ key: AccessKey) {
        let actor = "key:" + key.id + (key.label.isEmpty ? "" : " (\(key.label))")
        switch key.role {
        case .admin:
            self.init(scope: .allTenants, role: .admin, keyID: key.id, actor: actor)
        case .client:
            guard let tenant = key.tenant else { return nil }
            self.init(scope: .tenant(tenant), role: .client, keyID: key.id, actor: actor)
        case .viewer:
            self.init(scope: key.tenant.map(Scope.tenant) ?? .allTenants, role: .viewer, keyID: key.id, actor: actor)
        }
    }

    var isAdministrator: Bool { role == .admin }

    /// The tenant it acts for; `nil` for an administrator.
    var tenant: String? {
        if case .tenant(let tenant) = scope { return tenant }
        return nil
    }

    /// Whether this principal may see and use licenses and sessions of `tenant`.
    func canAccess(tenant licenseTenant: String) -> Bool {
        switch scope {
        case .allTenants: true
        case .tenant(let tenant): tenant == licenseTenant
        }
    }
}
