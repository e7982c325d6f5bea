import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// The cluster's tables in PostgreSQL (one cluster per database), created idempotently by
/// `install`: every node runs it at start, and the first one creates them.
///
/// - `seatd_schema(version)`: one row, the schema version below.
/// - `seatd_log(sequence, epoch, payload, committed_at)`: the replication log, the source
///   of truth. One row per storage batch, numbered without gaps; `epoch` is the leader's
///   epoch that appended it.
/// - `seatd_leader(id = 1, epoch, node, address, lease_until, backend_pid)`: one row, the
///   current leader and its fencing epoch; `backend_pid` is its lock session's backend.
/// - `seatd_nodes(node, address, role, applied_sequence, seen_at)`: every node's heartbeat.
/// - `seatd_snapshot(sequence, payload, created_at)`: the latest snapshot of the store, as of
///   the log's `sequence`; log rows up to it may be trimmed.
public enum ClusterSchema {
    /// Raised when the schema changes incompatibly; a node refuses a newer schema.
    public static let version = 1

    /// The session advisory lock that the active node holds (`pg_try_advisory_lock`): the
    /// bytes of "seatd-ha" as a bigint. Advisory locks are per database.
    public static let leadershipLockKey: Int64 = 0x7365_6174_642D_6861

    /// Serialises concurrent `install`s (a transaction-scoped advisory lock).
    static let installLockKey: Int64 = 0x7365_6174_642D_7363

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS seatd_schema (
            version int NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS seatd_log (
            sequence bigint PRIMARY KEY CHECK (sequence > 0),
            epoch bigint NOT NULL,
            payload bytea NOT NULL,
            committed_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS seatd_leader (
            id int PRIMARY KEY CHECK (id = 1),
            epoch bigint NOT NULL,
            node text,
            address text,
            lease_until timestamptz,
            backend_pid int
        )
        """,
        "INSERT INTO seatd_leader (id, epoch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
        """
        CREATE TABLE IF NOT EXISTS seatd_nodes (
            node text PRIMARY KEY,
            address text NOT NULL,
            role text NOT NULL,
            applied_sequence bigint NOT NULL,
            seen_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS seatd_snapshot (
            sequence bigint PRIMARY KEY,
            payload bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """,
    ]

    /// Creates the tables that are missing and records the version, in one transaction;
    /// throws `ClusterError.schemaVersion` if the database holds a newer schema.
    public static func install(
        settings: PostgresSettings,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws {
        let connection = try await PostgresConnection.connect(
            on: eventLoopGroup.any(), configuration: try settings.connectionConfiguration(), id: 0, logger: logger
        )
        do {
            try await install(on: connection, logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func install(on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await installInTransaction(on: connection, logger: logger)
        } catch let error as PostgresTransactionError {
            // The cause, not postgres-nio's wrapper (which was rolled back).
            throw error.closureError ?? error
        }
    }

    private static func installInTransaction(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(installLockKey))", logger: logger)
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            let rows = try await connection.query("SELECT version FROM seatd_schema", logger: logger)
            var versions: [Int] = []
            for try await version in rows.decode(Int.self) { versions.append(version) }
            if let found = versions.max() {
                guard found <= version else { throw ClusterError.schemaVersion(found: found, supported: version) }
                if found < version {
                    try await connection.query("UPDATE seatd_schema SET version = \(version)", logger: logger)
                }
            } else {
                try await connection.query("INSERT INTO seatd_schema (version) VALUES (\(version))", logger: logger)
            }
        }
    }
}

public enum ClusterError: Error, Equatable, CustomStringConvertible {
    /// The database was set up by a newer seatd.
    case schemaVersion(found: Int, supported: Int)
    /// No answer from PostgreSQL within the time allowed.
    case timedOut(operation: String, after: TimeAmount)
    /// A value does not fit PostgreSQL's signed bigint.
    case outOfRange(name: String, value: UInt64)
    /// The `seatd_leader` row is gone (someone deleted it by hand).
    case missingLeaderRow
    /// `trimLog(through:)` was asked to delete log rows that no snapshot covers.
    case trimBeyondSnapshot(requested: UInt64, latestSnapshot: UInt64?)

    public var description: String {
        switch self {
        case .schemaVersion(let found, let supported):
            "the PostgreSQL schema is version \(found), this seatd supports up to \(supported)"
        case .timedOut(let operation, let after):
            "no answer from PostgreSQL to \(operation) within \(after.nanoseconds / 1_000_000) ms"
        case .outOfRange(let name, let value):
            "\(name) \(value) is beyond PostgreSQL's bigint"
        case .missingLeaderRow:
            "the seatd_leader row is missing (restart a node to recreate it)"
        case .trimBeyondSnapshot(let requested, let latest):
            "cannot trim the log through \(requested): the latest snapshot is at \(latest.map(String.init) ?? "none")"
        }
    }
}
