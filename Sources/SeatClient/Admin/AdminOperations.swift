import Foundation

/// One admin operation (docs/admin-protocol.md, "Operations"): its arguments are the
/// encoded members, `op` names it, and `Reply` is what the server answers.
public protocol AdminOperation: Encodable, Sendable {
    associatedtype Reply: Decodable & Sendable
    /// The request's `"op"` member.
    var op: String { get }
}

/// `status`: every license with its seat counts, and the node's cluster role.
public struct AdminStatusQuery: AdminOperation {
    public typealias Reply = AdminStatusReply
    public var op: String { "status" }
    public var tenant: String?
    public init(tenant: String? = nil) { self.tenant = tenant }
    enum CodingKeys: String, CodingKey { case tenant }
}

/// `policy`: the site policy in force, per license, with what each rule's principal holds.
public struct AdminPolicyQuery: AdminOperation {
    public typealias Reply = AdminPolicyReply
    public var op: String { "policy" }
    public var tenant: String?
    public init(tenant: String? = nil) { self.tenant = tenant }
    enum CodingKeys: String, CodingKey { case tenant }
}

/// `sessions`: live sessions; every filter given must match exactly.
public struct AdminSessionsQuery: AdminOperation {
    public typealias Reply = AdminSessionsReply
    public var op: String { "sessions" }
    public var license: String?
    public var tenant: String?
    public var user: String?
    public var host: String?
    public init(license: String? = nil, tenant: String? = nil, user: String? = nil, host: String? = nil) {
        self.license = license
        self.tenant = tenant
        self.user = user
        self.host = host
    }
    enum CodingKeys: String, CodingKey { case license, tenant, user, host }
}

/// `queue`: who waits for a seat, of one license or one tenant's licenses.
public struct AdminQueueQuery: AdminOperation {
    public typealias Reply = AdminQueueReply
    public var op: String { "queue" }
    public var license: String?
    public var tenant: String?
    public init(license: String? = nil, tenant: String? = nil) {
        self.license = license
        self.tenant = tenant
    }
    enum CodingKeys: String, CodingKey { case license, tenant }
}

/// `release`: force-releases the sessions matching every filter given (at least one).
public struct AdminForceRelease: AdminOperation {
    public typealias Reply = AdminReleasedReply
    public var op: String { "release" }
    /// A session id or a unique prefix of at least 4 hex digits.
    public var session: String?
    public var license: String?
    public var user: String?
    public var host: String?
    public init(session: String? = nil, license: String? = nil, user: String? = nil, host: String? = nil) {
        self.session = session
        self.license = license
        self.user = user
        self.host = host
    }
    enum CodingKeys: String, CodingKey { case session, license, user, host }
}

/// A license to add (`license.add`). Unsigned, so development mode only.
public struct NewLicense: Codable, Sendable, Equatable {
    public var key: String
    public var tenant: String?
    public var seats: Int
    public var tier: String?
    public var features: [String: String]?
    public var expires: Date?
    public init(key: String, tenant: String? = nil, seats: Int, tier: String? = nil, features: [String: String]? = nil, expires: Date? = nil) {
        self.key = key
        self.tenant = tenant
        self.seats = seats
        self.tier = tier
        self.features = features
        self.expires = expires
    }
}

/// `license.add`.
public struct AdminAddLicense: AdminOperation {
    public typealias Reply = AdminLicenseReply
    public var op: String { "license.add" }
    public var license: NewLicense
    public init(_ license: NewLicense) { self.license = license }
    enum CodingKeys: String, CodingKey { case license }
}

/// `license.import`: a license document (`{"licenses": [...]}`), verified as a whole.
public struct AdminImportLicenses: AdminOperation {
    public typealias Reply = AdminLicenseImportReply
    public var op: String { "license.import" }
    public var document: JSONValue
    public init(document: JSONValue) { self.document = document }
    enum CodingKeys: String, CodingKey { case document }
}

/// `license.list`.
public struct AdminListLicenses: AdminOperation {
    public typealias Reply = AdminLicensesReply
    public var op: String { "license.list" }
    public var tenant: String?
    public init(tenant: String? = nil) { self.tenant = tenant }
    enum CodingKeys: String, CodingKey { case tenant }
}

/// `license.suspend`, `license.resume`, `license.revoke`.
public struct AdminChangeLicenseState: AdminOperation {
    public enum Change: String, Sendable, CaseIterable {
        case suspend, resume, revoke
    }
    public typealias Reply = AdminLicenseReply
    public var op: String { "license.\(change.rawValue)" }
    public var change: Change
    public var key: String
    public init(_ change: Change, key: String) {
        self.change = change
        self.key = key
    }
    enum CodingKeys: String, CodingKey { case key }
}

/// `license.delete`.
public struct AdminDeleteLicense: AdminOperation {
    public typealias Reply = AdminLicenseDeletedReply
    public var op: String { "license.delete" }
    public var key: String
    public init(key: String) { self.key = key }
    enum CodingKeys: String, CodingKey { case key }
}

/// `tenant.add`.
public struct AdminAddTenant: AdminOperation {
    public typealias Reply = AdminTenantReply
    public var op: String { "tenant.add" }
    public var id: String
    public var name: String?
    public init(id: String, name: String? = nil) {
        self.id = id
        self.name = name
    }
    enum CodingKeys: String, CodingKey { case id, name }
}

/// `tenant.list`.
public struct AdminListTenants: AdminOperation {
    public typealias Reply = AdminTenantsReply
    public var op: String { "tenant.list" }
    public init() {}
}

/// `tenant.delete`.
public struct AdminDeleteTenant: AdminOperation {
    public typealias Reply = AdminTenantReply
    public var op: String { "tenant.delete" }
    public var id: String
    public init(id: String) { self.id = id }
    enum CodingKeys: String, CodingKey { case id }
}

/// `key.create`.
public struct AdminCreateKey: AdminOperation {
    public typealias Reply = AdminKeyCreatedReply
    public var op: String { "key.create" }
    /// Required for a client key.
    public var tenant: String?
    public var role: AdminKeyRole?
    public var label: String?
    public init(tenant: String? = nil, role: AdminKeyRole? = nil, label: String? = nil) {
        self.tenant = tenant
        self.role = role
        self.label = label
    }
    enum CodingKeys: String, CodingKey { case tenant, role, label }
}

/// `key.list`.
public struct AdminListKeys: AdminOperation {
    public typealias Reply = AdminKeysReply
    public var op: String { "key.list" }
    public var tenant: String?
    public init(tenant: String? = nil) { self.tenant = tenant }
    enum CodingKeys: String, CodingKey { case tenant }
}

/// `key.revoke`: also closes the connections authenticated with the key.
public struct AdminRevokeKey: AdminOperation {
    public typealias Reply = AdminKeyReply
    public var op: String { "key.revoke" }
    public var id: String
    public init(id: String) { self.id = id }
    enum CodingKeys: String, CodingKey { case id }
}

/// `audit`: one page of the audit log, oldest first.
public struct AdminAuditQuery: AdminOperation {
    public typealias Reply = AuditPage
    public var op: String { "audit" }
    public var since: Date?
    public var until: Date?
    public var tenant: String?
    public var license: String?
    public var user: String?
    public var kinds: [String]?
    /// The `next` of an earlier page.
    public var after: String?
    /// 1...10000; the server's default is 1000.
    public var limit: Int?
    public init(
        since: Date? = nil, until: Date? = nil, tenant: String? = nil, license: String? = nil, user: String? = nil,
        kinds: [String]? = nil, after: String? = nil, limit: Int? = nil
    ) {
        self.since = since
        self.until = until
        self.tenant = tenant
        self.license = license
        self.user = user
        self.kinds = kinds
        self.after = after
        self.limit = limit
    }
    enum CodingKeys: String, CodingKey { case since, until, tenant, license, user, kinds, after, limit }
}

/// `report`: a usage report over the rollups (docs/operations.md, "Reports").
public struct AdminReportQuery: AdminOperation {
    public typealias Reply = AdminReportReply
    public var op: String { "report" }
    /// `usage`, `denials`, `users` or `trueup`.
    public var report: String
    public var license: String?
    public var tenant: String?
    public var from: Date?
    public var to: Date?
    /// `hour`, `day` or `month`; the server's default is `day`.
    public var by: String?
    public init(report: String, license: String? = nil, tenant: String? = nil, from: Date? = nil, to: Date? = nil, by: String? = nil) {
        self.report = report
        self.license = license
        self.tenant = tenant
        self.from = from
        self.to = to
        self.by = by
    }
    enum CodingKeys: String, CodingKey { case report, license, tenant, from, to, by }
}

/// `reload`: like SIGHUP.
public struct AdminReload: AdminOperation {
    public typealias Reply = AdminReloadReply
    public var op: String { "reload" }
    public init() {}
}

/// `shutdown`: like SIGTERM.
public struct AdminShutdown: AdminOperation {
    public typealias Reply = AdminShutdownReply
    public var op: String { "shutdown" }
    public init() {}
}

/// `borrow.public_key`: the key clients trust for the offline leases of borrowed seats.
public struct AdminBorrowPublicKeyQuery: AdminOperation {
    public typealias Reply = AdminBorrowPublicKeyReply
    public var op: String { "borrow.public_key" }
    public init() {}
}

/// The request object: the operation's members plus `"op"`.
struct AdminRequestEnvelope<Operation: AdminOperation>: Encodable {
    var operation: Operation

    private enum OpKey: String, CodingKey { case op }

    func encode(to encoder: any Encoder) throws {
        try operation.encode(to: encoder)
        var container = encoder.container(keyedBy: OpKey.self)
        try container.encode(operation.op, forKey: .op)
    }
}
