import SeatCore
import SeatStorage

/// Tenants and access keys: loaded from storage at start, changed only through admin
/// requests (each change is durable before it is visible), and consulted when a
/// connection authenticates. An actor, so concurrent admin changes cannot interleave
/// between their check and their commit.
actor AccessRegistry {
    private let store: SeatStore
    private var tenantsByID: [String: Tenant]
    private var keysByID: [String: AccessKey]

    init(store: SeatStore) throws(StorageError) {
        self.store = store
        tenantsByID = Dictionary(try store.loadTenants().map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        keysByID = Dictionary(try store.loadAccessKeys().map { ($0.id, $0) }, uniquingKeysWith: { $1 })
    }

    /// The key `text` names, if it is well formed, known, not revoked and its secret matches.
    func authenticate(_ text: String) -> AccessKey? {
        guard let presented = AccessKeySecret(parsing: text), let key = keysByID[presented.id],
              key.revokedAt == nil, presented.matches(key.secretDigest) else { return nil }
        return key
    }

    // MARK: Tenants

    var tenants: [Tenant] { tenantsByID.values.sorted { $0.id < $1.id } }

    func tenant(_ id: String) -> Tenant? { tenantsByID[id] }

    func addTenant(id: String, name: String) async throws(AdminFailure) -> Tenant {
        guard Tenant.isValidID(id) else {
            throw .invalidRequest("tenant id '\(id)' must be 1...64 characters of a-z, 0-9, '.', '_' or '-'")
        }
        guard name.utf8.count <= 256 else { throw .invalidRequest("tenant name is longer than 256 bytes") }
        guard tenantsByID[id] == nil else { throw .conflict("tenant '\(id)' already exists") }
        let tenant = Tenant(id: id, name: name, createdAt: WallClock.now())
        try await commit([.putTenant(tenant)])
        tenantsByID[id] = tenant
        return tenant
    }

    /// Records tenants that licenses name but that were never added explicitly (e.g.
    /// from a vendor-signed license file), so they can be listed and given keys.
    func ensureTenants(_ ids: Set<String>) async throws(StorageError) {
        let missing = ids.filter { tenantsByID[$0] == nil }.sorted()
        guard !missing.isEmpty else { return }
        let now = WallClock.now()
        let added = missing.map { Tenant(id: $0, createdAt: now) }
        try await store.commit(added.map { .putTenant($0) })
        for tenant in added { tenantsByID[tenant.id] = tenant }
    }

    /// Deletes a tenant without licenses (checked by the caller) and without valid keys.
    func deleteTenant(_ id: String) async throws(AdminFailure) -> Tenant {
        guard let tenant = tenantsByID[id] else { throw .notFound("no tenant '\(id)'") }
        let liveKeys = keysByID.values.filter { $0.tenant == id && $0.revokedAt == nil }.count
        guard liveKeys == 0 else { throw .conflict("tenant '\(id)' still has \(liveKeys) valid access key(s); revoke them first") }
        try await commit([.deleteTenant(id: id)])
        tenantsByID[id] = nil
        return tenant
    }

    // MARK: Keys

    func keys(tenant: String?) -> [AccessKey] {
        keysByID.values.filter { tenant == nil || $0.tenant == tenant }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    func keyCount(tenant: String) -> Int {
        keysByID.values.filter { $0.tenant == tenant && $0.revokedAt == nil }.count
    }

    /// Creates a key and returns it with the secret text, which is never stored.
    func createKey(tenant: String?, role: AccessRole, label: String) async throws(AdminFailure) -> (AccessKey, String) {
        guard label.utf8.count <= 256 else { throw .invalidRequest("label is longer than 256 bytes") }
        switch role {
        case .client:
            guard let tenant else { throw .invalidRequest("a client key needs \"tenant\"") }
            guard tenantsByID[tenant] != nil else { throw .notFound("no tenant '\(tenant)'; add it first") }
        case .admin:
            guard tenant == nil else { throw .invalidRequest("an admin key is not bound to a tenant; leave out \"tenant\"") }
        }
        let secret = AccessKeySecret.generate()
        let key = AccessKey(id: secret.id, tenant: tenant, role: role, secretDigest: secret.digest, label: label, createdAt: WallClock.now())
        try await commit([.putAccessKey(key)])
        keysByID[key.id] = key
        return (key, secret.text)
    }

    func revokeKey(_ id: String) async throws(AdminFailure) -> AccessKey {
        guard var key = keysByID[id] else { throw .notFound("no access key '\(id)'") }
        guard key.revokedAt == nil else { return key }
        key.revokedAt = WallClock.now()
        try await commit([.putAccessKey(key)])
        keysByID[id] = key
        return key
    }

    private func commit(_ changes: [StoreChange]) async throws(AdminFailure) {
        do {
            try await store.commit(changes)
        } catch {
            throw .storage(error)
        }
    }
}
