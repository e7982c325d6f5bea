import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// What the cluster knows of its nodes (`seatd_nodes`, a heartbeat each node writes) and
/// of its leader (`seatd_leader`): the data behind `seatctl status`'s peers.
public final class ClusterRegistry: Sendable {
    private let session: ClusterConnection
    private let timeout: TimeAmount

    public init(
        settings: PostgresSettings,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        timeout: TimeAmount = .seconds(5),
        logger: Logger
    ) throws(ClusterSettingsError) {
        session = ClusterConnection(
            configuration: try settings.connectionConfiguration(), eventLoop: eventLoopGroup.any(), logger: logger,
            sessionSetup: []
        )
        self.timeout = timeout
    }

    /// Records this node's heartbeat: its address, role and how far it has applied the log.
    public func registerNode(name: String, address: String, role: ClusterRole, appliedSequence: UInt64) async throws {
        let applied = try PostgresReplicaLog.bigint(appliedSequence, "applied sequence")
        _ = try await run(
            """
            INSERT INTO seatd_nodes (node, address, role, applied_sequence, seen_at)
            VALUES (\(name), \(address), \(role.rawValue), \(applied), now())
            ON CONFLICT (node) DO UPDATE
            SET address = excluded.address, role = excluded.role,
                applied_sequence = excluded.applied_sequence, seen_at = excluded.seen_at
            """,
            operation: "registering node \(name)"
        )
    }

    /// Every node that has registered, by name.
    public func nodes() async throws -> [ClusterNode] {
        let result = try await run(
            """
            SELECT node, address, role, applied_sequence, seen_at, extract(epoch FROM now() - seen_at)::float8
            FROM seatd_nodes ORDER BY node
            """,
            operation: "listing the nodes"
        )
        return try result.rows.map { row in
            let (name, address, role, applied, seenAt, age) = try row.decode((String, String, String, Int64, Date, Double).self)
            return ClusterNode(
                name: name, address: address, role: ClusterRole(rawValue: role), appliedSequence: UInt64(applied),
                seenAt: seenAt, secondsSinceSeen: age
            )
        }
    }

    /// The leader row and the current lock holder.
    public func leader() async throws -> LeaderRecord {
        let result = try await run(LeaderRecord.query, operation: "reading the leader")
        guard let row = result.rows.first else { throw ClusterError.missingLeaderRow }
        return try LeaderRecord(row: row)
    }

    public func close() async {
        await session.close()
    }

    private func run(_ query: PostgresQuery, operation: String) async throws -> PostgresQueryResult {
        try await session.run(query, operation: operation, timeout: timeout).get()
    }
}

/// A node's role, as it reports it in its heartbeat.
public struct ClusterRole: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let active = ClusterRole(rawValue: "active")
    public static let standby = ClusterRole(rawValue: "standby")

    public var description: String { rawValue }
}

public struct ClusterNode: Sendable, Equatable {
    public var name: String
    public var address: String
    public var role: ClusterRole
    public var appliedSequence: UInt64
    public var seenAt: Date
    /// By PostgreSQL's clock, so it is right whatever this machine's clock says.
    public var secondsSinceSeen: Double

    public init(name: String, address: String, role: ClusterRole, appliedSequence: UInt64, seenAt: Date, secondsSinceSeen: Double) {
        self.name = name
        self.address = address
        self.role = role
        self.appliedSequence = appliedSequence
        self.seenAt = seenAt
        self.secondsSinceSeen = secondsSinceSeen
    }
}
