import SeatTestPostgres
import Logging
import NIOCore
import PostgresNIO
@testable import SeatCluster

/// A fresh database on the test server with the cluster schema installed, and a session
/// of the test's own on it, to play a rival node or look at the tables.
struct ClusterDatabase {
    let settings: PostgresSettings
    let server: PostgresServer
    let logger = PostgresServer.logger

    static func make() async throws -> ClusterDatabase {
        let server = try await PostgresServer.shared()
        let settings = try await server.makeDatabase()
        try await ClusterSchema.install(settings: settings, logger: PostgresServer.logger)
        return ClusterDatabase(settings: settings, server: server)
    }

    /// Runs `body` with a session of its own, closed afterwards.
    @discardableResult
    func withSession<Value>(_ body: (PostgresConnection) async throws -> Value) async throws -> Value {
        let connection = try await server.connect(database: settings.database)
        do {
            let value = try await body(connection)
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Sets the leader's epoch directly, for log tests that need no election.
    func setEpoch(_ epoch: Int64) async throws {
        try await withSession { try await $0.query("UPDATE seatd_leader SET epoch = \(epoch) WHERE id = 1", logger: logger) }
    }

    func sequences() async throws -> [Int64] {
        try await withSession { connection in
            var sequences: [Int64] = []
            for try await sequence in try await connection.query("SELECT sequence FROM seatd_log ORDER BY sequence", logger: logger).decode(Int64.self) {
                sequences.append(sequence)
            }
            return sequences
        }
    }

    /// How many sessions wait for a lock while running a statement that starts with `prefix`.
    func sessionsWaitingForALock(runningStatementStartingWith prefix: String) async throws -> Int {
        try await withSession { connection in
            let rows = try await connection.query("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND ltrim(query) LIKE \(prefix + "%")
                """, logger: logger)
            for try await count in rows.decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    func makeLog(appendTimeout: TimeAmount = .seconds(5)) throws -> PostgresReplicaLog {
        try PostgresReplicaLog(settings: settings, appendTimeout: appendTimeout, logger: logger)
    }
}
