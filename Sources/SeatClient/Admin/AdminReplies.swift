import Foundation

// The reply objects of the admin operations (docs/admin-protocol.md, "Operations").

/// `status` and `license.list`.
public struct AdminLicensesReply: Codable, Sendable, Equatable {
    public var licenses: [AdminLicense]
}

/// `policy`: the policy file in force (`policyFile` empty: none) and the licenses it
/// has rules for.
public struct AdminPolicyReply: Codable, Sendable, Equatable {
    public var policyFile: String
    public var rules: Int
    public var licenses: [AdminPolicyLicense]

    enum CodingKeys: String, CodingKey {
        case policyFile = "policy_file", rules, licenses
    }
}

public struct AdminPolicyLicense: Codable, Sendable, Equatable {
    public var license: String
    public var tenant: String
    public var seats: Int
    public var inUse: Int
    public var rules: [AdminPolicyRule]

    enum CodingKeys: String, CodingKey {
        case license, tenant, seats, inUse = "in_use", rules
    }
}

/// One rule as it applies to a license.
public struct AdminPolicyRule: Codable, Sendable, Equatable {
    public var line: Int
    /// As written in the file.
    public var rule: String
    /// `reserve`, `max`, `include`, `exclude`, `borrow allow`, `borrow deny`,
    /// `borrow_max_hours` or `borrow_max_seats`.
    public var effect: String
    /// E.g. `group eng`; empty for the borrow limits, which name no one.
    public var principal: String
    /// The reserve or max count, or the borrow limit; absent for the others.
    public var count: Int?
    /// The license's live sessions the principal holds now; for a borrow limit, its seats
    /// out on borrow.
    public var holding: Int
}

/// `sessions`.
public struct AdminSessionsReply: Codable, Sendable, Equatable {
    public var sessions: [AdminSession]
}

/// `queue`: the waiters, by license and then in queue order.
public struct AdminQueueReply: Codable, Sendable, Equatable {
    public var waiters: [AdminWaiter]
}

/// `release`: the sessions that were ended (each as revoked, its holder notified).
public struct AdminReleasedReply: Codable, Sendable, Equatable {
    public var released: [AdminSession]
}

/// `report`: the columns in order, and one object per row keyed by column (a cell
/// without a value is left out).
public struct AdminReportReply: Codable, Sendable, Equatable {
    public var report: String
    public var by: String
    public var from: Date
    public var to: Date
    public var columns: [String]
    public var rows: [[String: JSONValue]]
}

/// `license.add`, `license.suspend`, `license.resume`, `license.revoke`.
public struct AdminLicenseReply: Codable, Sendable, Equatable {
    public var license: AdminLicense
}

/// `license.delete`.
public struct AdminLicenseDeletedReply: Codable, Sendable, Equatable {
    public var license: AdminLicense
    /// Sessions that ended with it (as revoked, holders notified).
    public var sessionsEnded: Int

    enum CodingKeys: String, CodingKey {
        case license, sessionsEnded = "sessions_ended"
    }
}

/// `license.import`: the document's keys by what happened to them.
public struct AdminLicenseImportReply: Codable, Sendable, Equatable {
    public var added: [String]
    public var updated: [String]
    public var unchanged: [String]
}

/// `tenant.add`, `tenant.delete`.
public struct AdminTenantReply: Codable, Sendable, Equatable {
    public var tenant: AdminTenant
}

/// `tenant.list`.
public struct AdminTenantsReply: Codable, Sendable, Equatable {
    public var tenants: [AdminTenant]
}

/// `key.create`: the only time the secret is ever shown.
public struct AdminKeyCreatedReply: Codable, Sendable, Equatable {
    public var key: AdminKey
    /// `seatd_<id>_<secret>`, what clients present in Authenticate.
    public var secret: String
}

/// `key.revoke`.
public struct AdminKeyReply: Codable, Sendable, Equatable {
    public var key: AdminKey
}

/// `key.list`.
public struct AdminKeysReply: Codable, Sendable, Equatable {
    public var keys: [AdminKey]
}

/// `audit`: one page of events and the cursor to continue after it.
public struct AuditPage: Codable, Sendable, Equatable {
    public var events: [AuditEventRecord]
    /// Opaque; pass it as `after` to get the events that follow. Absent when there is
    /// nothing to continue after (no events yet, and no `after` given).
    public var next: String?
    /// Whether the page holds every matching event up to now (no further page waits), when
    /// the server says.
    public var complete: Bool?

    public init(events: [AuditEventRecord], next: String? = nil, complete: Bool? = nil) {
        self.events = events
        self.next = next
        self.complete = complete
    }
}

/// `reload`.
public struct AdminReloadReply: Codable, Sendable, Equatable {
    public var reloaded: Bool
}

/// `shutdown`.
public struct AdminShutdownReply: Codable, Sendable, Equatable {
    public var stopping: Bool
}

public struct AdminBorrowPublicKeyReply: Codable, Sendable, Equatable {
    /// The base64 of the server's raw 32-byte Ed25519 public key.
    public var publicKey: String

    enum CodingKeys: String, CodingKey { case publicKey = "public_key" }

    public init(publicKey: String) {
        self.publicKey = publicKey
    }
}

/// `status`: every license, and with `storage = postgresql` this node's place in its
/// active/standby group (absent for a single-node store).
public struct AdminStatusReply: Codable, Sendable, Equatable {
    public var licenses: [AdminLicense]
    public var cluster: AdminCluster?
}
