import CLMDB
import SeatCore

/// The named databases of a seatd store, opened and version-checked once at start-up.
struct StorageDatabases: Sendable {
    /// Still 1 with the `audit` and `usage_*` databases: adding a database is backwards compatible (an
    /// older store gets it created empty at open, an older seatd ignores it), so it is not
    /// a reason to refuse a store. Bump only for changes an older reader would misread.
    static let schemaVersion: UInt32 = 1
    private static let schemaVersionKey = Array("schema_version".utf8)

    /// `schema_version` -> UInt32.
    let meta: MDB_dbi
    /// UTF-8 license key -> license record.
    let licenses: MDB_dbi
    /// 16 token bytes -> live session record.
    let sessions: MDB_dbi
    /// 16 token bytes -> tombstone record.
    let ended: MDB_dbi
    /// endedAt (8 bytes) + token -> empty: tombstones in end-time order, for purging.
    let endedByTime: MDB_dbi
    /// UTF-8 tenant id -> tenant record.
    let tenants: MDB_dbi
    /// UTF-8 access key id -> access key record (digest of the secret, never the secret).
    let accessKeys: MDB_dbi
    /// One database per `AuditClass`: time (8 bytes) + sequence (8 bytes) -> audit record,
    /// oldest first (`RecordCodec+Audit`). Sequences are global across them. `meta` holds
    /// `audit_sequence`, the last sequence assigned, so sequences never repeat even after
    /// retention deleted every event.
    let audit: AuditDatabases
    /// hour (8 bytes) + UTF-8 license key -> `UsageHour` record (peak, denials): the usage
    /// rollup, oldest first.
    let usageHours: MDB_dbi
    /// hour + license + user -> that user's time of ended sessions in the hour.
    let usageUsers: MDB_dbi
    /// UTF-8 license key -> the license's tenant and seats in use, for the rollup's next event.
    let usageTallies: MDB_dbi

    /// The LMDB names of the databases, which are also how a `ReplicatedWrite` names them.
    enum Name {
        static let meta = "meta"
        static let licenses = "licenses"
        static let sessions = "sessions"
        static let ended = "ended"
        static let endedByTime = "ended_by_time"
        static let tenants = "tenants"
        static let accessKeys = "access_keys"
        static let usageHours = "usage_hours"
        static let usageUsers = "usage_users"
        static let usageTallies = "usage_tallies"
    }

    /// Every database but `meta`, with its name.
    var named: [(name: String, dbi: MDB_dbi)] {
        [
            (Name.licenses, licenses), (Name.sessions, sessions), (Name.ended, ended), (Name.endedByTime, endedByTime),
            (Name.tenants, tenants), (Name.accessKeys, accessKeys), (Name.usageHours, usageHours),
            (Name.usageUsers, usageUsers), (Name.usageTallies, usageTallies),
        ] + AuditClass.allCases.map { (AuditDatabases.name($0), audit[$0]) }
    }

    /// Every database, LMDB's own included (0: the free-page list, 1: the main database
    /// naming the others), so that their pages add up to the pages in use.
    var all: [MDB_dbi] { [0, 1, meta, licenses, sessions, ended, endedByTime, tenants, accessKeys, usageHours, usageUsers, usageTallies] + audit.all }

    /// Opens or creates the databases and checks or writes the schema version. Runs
    /// before the writer thread starts, so it may use a write transaction itself.
    static func open(in environment: LMDBEnvironment) throws(StorageError) -> StorageDatabases {
        try environment.write { txn throws(StorageError) in
            let databases = StorageDatabases(
                meta: try txn.openDatabase(named: Name.meta, create: true),
                licenses: try txn.openDatabase(named: Name.licenses, create: true),
                sessions: try txn.openDatabase(named: Name.sessions, create: true),
                ended: try txn.openDatabase(named: Name.ended, create: true),
                endedByTime: try txn.openDatabase(named: Name.endedByTime, create: true),
                tenants: try txn.openDatabase(named: Name.tenants, create: true),
                accessKeys: try txn.openDatabase(named: Name.accessKeys, create: true),
                audit: try AuditDatabases(txn),
                usageHours: try txn.openDatabase(named: Name.usageHours, create: true),
                usageUsers: try txn.openDatabase(named: Name.usageUsers, create: true),
                usageTallies: try txn.openDatabase(named: Name.usageTallies, create: true)
            )
            try schemaVersionKey.withBytes { key throws(StorageError) in
                if let found = try txn.get(databases.meta, key, RecordCodec.decodeSchemaVersion) {
                    guard found == schemaVersion else {
                        throw .corrupt("unknown schema version \(found); this seatd reads version \(schemaVersion)")
                    }
                } else {
                    try RecordCodec.encodeSchemaVersion(schemaVersion).withBytes { value throws(StorageError) in
                        try txn.put(databases.meta, key, value)
                    }
                }
            }
            try separateLegacyAuditEvents(txn, databases)
            try buildUsageTallies(txn, databases)
            return databases
        }
    }
}

/// The audit log's databases, one per retention class, so each class's size is what
/// `mdb_stat` reports for its database and purging one never touches another.
struct AuditDatabases: Sendable {
    private let byClass: [AuditClass: MDB_dbi]

    /// The session class keeps the name `audit`: a store written before classes existed
    /// has all its events there, and they stay readable (and are retained as session events).
    static func name(_ auditClass: AuditClass) -> String {
        auditClass == .session ? "audit" : "audit_" + auditClass.rawValue
    }

    init(_ txn: borrowing LMDBTransaction) throws(StorageError) {
        var byClass: [AuditClass: MDB_dbi] = [:]
        for auditClass in AuditClass.allCases {
            byClass[auditClass] = try txn.openDatabase(named: Self.name(auditClass), create: true)
        }
        self.byClass = byClass
    }

    subscript(_ auditClass: AuditClass) -> MDB_dbi { byClass[auditClass]! }

    var all: [MDB_dbi] { AuditClass.allCases.map { self[$0] } }
}
