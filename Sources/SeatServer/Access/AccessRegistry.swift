import SeatCore
import SeatStorage
import Synchronization

/// Tenants and access keys: loaded from storage at start, changed only through admin
/// requests (each change is durable before it is visible), and consulted when a
/// connection authenticates. An actor, so concurrent admin changes cannot interleave
/// between their check and their commit.
///
/// The keys sit behind a mutex that authentication (on an event loop, without a hop to
/// the actor) and revocation share: a connection is marked authenticated while the key is
/// looked up, and a revocation closes the key's connections after marking it revoked, so
/// an authentication either sees the revocation or is closed by it.
actor AccessRegistry {
    private let store: SeatStore
    private let clock: any ServerClock
    private let connections: ConnectionDirectory
    private var tenantsByID: [String: Tenant]
    private let keysByID: Mutex<[String: AccessKey]>

    init(store: SeatStore, clock: any ServerClock, connections: ConnectionDirectory) throws(StorageError) {
        self.store = store
        self.clock = clock
        self.connections = connections
        tenantsByID = Dictionary(try store.loadTenants().map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        keysByID = Mutex(Dictionary(try store.loadAccessKeys().map { ($0.id, $0) }, uniquingKeysWith: { $1 }))
    }

    /// What an attempt with `text` from `address` is throttled as: against its key if it
    /// names an existing one (revoked included), else against the address.
    nonisolated func throttleAttempt(_ text: String, from address: String) -> AuthenticationThrottle.Attempt {
        guard let id = AccessKeySecret(parsing: text)?.id, keysByID.withLock({ $0[id] != nil }) else { return .unknownKey(address: address) }
        return .existingKey(address: address, keyID: id)
    }

    /// Authenticates `link` with the key `text` names, if it is well formed, known, not
    /// revoked and its secret matches; returns the principal it now acts for.
    /// A viewer key is refused here: it is for the dashboard only.
    nonisolated func authenticate(_ text: String, on link: ConnectionLink) -> Result<Principal, AuthenticationFailure> {
        switch check(text, accepted: { _, principal in if principal.role != .viewer { link.authenticate(as: principal) } }) {
        case .success(let verified) where verified.principal.role == .viewer: .failure(.viewerKey(keyID: verified.key.id))
        case .success(let verified): .success(verified.principal)
        case .failure(let failure): .failure(failure)
        }
    }

    /// The key `text` names and its principal, if it is well formed, known, not revoked
    /// and its secret matches (the dashboard's sign-in; it re-reads the key per request).
    nonisolated func verify(_ text: String) -> Result<(key: AccessKey, principal: Principal), AuthenticationFailure> {
        check(text, accepted: { _, _ in })
    }

    /// `verify`, with `accepted` run under the keys' lock (see the type's comment).
    private nonisolated func check(_ text: String, accepted: (AccessKey, Principal) -> Void) -> Result<(key: AccessKey, principal: Principal), AuthenticationFailure> {
        guard let presented = AccessKeySecret(parsing: text) else { return .failure(.malformed) }
        return keysByID.withLock { keys in
            guard let key = keys[presented.id], let principal = Principal(key) else { return .failure(.unknownKey) }
            guard key.revokedAt == nil else { return .failure(.revoked(keyID: key.id)) }
            guard presented.matches(key.secretDigest) else { return .failure(.wrongSecret(keyID: key.id)) }
            accepted(key, principal)
            return .success((key, principal))
        }
    }

    /// The key `id` names and its principal, while it is not revoked.
    nonisolated func validKey(_ id: String) -> (key: AccessKey, principal: Principal)? {
        keysByID.withLock { keys in
            guard let key = keys[id], key.revokedAt == nil, let principal = Principal(key) else { return nil }
            return (key, principal)
        }
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
        let tenant = Tenant(id: id, name: name, createdAt: clock.now())
        try await commit([.putTenant(tenant)])
        tenantsByID[id] = tenant
        return tenant
    }

    /// Records tenants that licenses name but that were never added explicitly (e.g.
    /// from a vendor-signed license file), so they can be listed and given keys.
    func ensureTenants(_ ids: Set<String>) async throws(StorageError) {
        let missing = ids.filter { tenantsByID[$0] == nil }.sorted()
        guard !missing.isEmpty else { return }
        let now = clock.now()
        let added = missing.map { Tenant(id: $0, createdAt: now) }
        try await store.commit(added.map { .putTenant($0) })
        for tenant in added { tenantsByID[tenant.id] = tenant }
    }

    /// Deletes a tenant without licenses (checked by the caller) and without valid keys.
    func deleteTenant(_ id: String) async throws(AdminFailure) -> Tenant {
        guard let tenant = tenantsByID[id] else { throw .notFound("no tenant '\(id)'") }
        let liveKeys = keysByID.withLock { $0.values }.filter { $0.tenant == id && $0.revokedAt == nil }.count
        guard liveKeys == 0 else { throw .conflict("tenant '\(id)' still has \(liveKeys) valid access key(s); revoke them first") }
        try await commit([.deleteTenant(id: id)])
        tenantsByID[id] = nil
        return tenant
    }

    // MARK: Keys

    func keys(tenant: String?) -> [AccessKey] {
        keysByID.withLock { $0.values }.filter { tenant == nil || $0.tenant == tenant }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    func keyCount(tenant: String) -> Int {
        keysByID.withLock { $0.values }.filter { $0.tenant == tenant && $0.revokedAt == nil }.count
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
        case .viewer:
            // Optional: without one the viewer sees every tenant.
            if let tenant, tenantsByID[tenant] == nil { throw .notFound("no tenant '\(tenant)'; add it first") }
        }
        let secret = AccessKeySecret.generate()
        let key = AccessKey(id: secret.id, tenant: tenant, role: role, secretDigest: secret.digest, label: label, createdAt: clock.now())
        try await commit([.putAccessKey(key)])
        keysByID.withLock { $0[key.id] = key }
        return (key, secret.text)
    }

    /// Revokes a key and closes every connection authenticated with it.
    func revokeKey(_ id: String) async throws(AdminFailure) -> AccessKey {
        guard var key = keysByID.withLock({ $0[id] }) else { throw .notFound("no access key '\(id)'") }
        guard key.revokedAt == nil else { return key }
        key.revokedAt = clock.now()
        try await commit([.putAccessKey(key)])
        keysByID.withLock { $0[id] = key }
        // After the mark: an authentication that found the key valid marked its link first.
        connections.closeConnections(authenticatedWith: id)
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
