import SeatCluster
import SeatStorage
import Testing

/// Reading the log, snapshots and trimming, against a real PostgreSQL.
@Suite("ClusterTests: log reading and snapshots")
struct ReplicaLogReadTests {
    func logWithEntries(_ count: UInt64, _ database: ClusterDatabase) async throws -> PostgresReplicaLog {
        try await database.setEpoch(1)
        let log = try database.makeLog()
        _ = try await onThread { () throws(StorageError) in
            for sequence in 1...count { try log.append(sequence: sequence, epoch: 1, payload: [UInt8(sequence)]) }
        }.get()
        return log
    }

    @Test func theLogIsReadInOrderFromAfterASequenceUpToTheLimit() async throws {
        let database = try await ClusterDatabase.make()
        let log = try await logWithEntries(5, database)
        defer { Task { await log.close() } }

        #expect(try await log.readLog(after: 0, limit: 3).map(\.sequence) == [1, 2, 3])
        #expect(try await log.readLog(after: 3, limit: 10) == [
            LogEntry(sequence: 4, epoch: 1, payload: [4]), LogEntry(sequence: 5, epoch: 1, payload: [5]),
        ])
        #expect(try await log.readLog(after: 5, limit: 10) == [])
        #expect(try await log.readLog(after: 0, limit: 0) == [])
        #expect(try await log.lastSequence() == 5)
    }

    @Test func anEmptyClusterHasNoSnapshotAndEndsAtZero() async throws {
        let database = try await ClusterDatabase.make()
        let log = try database.makeLog()
        defer { Task { await log.close() } }
        #expect(try await log.latestSnapshot() == nil)
        #expect(try await log.lastSequence() == 0)
        #expect(try await log.readLog(after: 0, limit: 10) == [])
    }

    @Test func theLogIsTrimmedOnlyAsFarAsTheLatestSnapshotCovers() async throws {
        let database = try await ClusterDatabase.make()
        let log = try await logWithEntries(5, database)
        defer { Task { await log.close() } }

        await #expect(throws: ClusterError.trimBeyondSnapshot(requested: 2, latestSnapshot: nil)) { try await log.trimLog(through: 2) }
        try await log.writeSnapshot(sequence: 3, payload: [3, 3, 3])
        #expect(try await log.latestSnapshot() == LogSnapshot(sequence: 3, payload: [3, 3, 3]))
        await #expect(throws: ClusterError.trimBeyondSnapshot(requested: 4, latestSnapshot: 3)) { try await log.trimLog(through: 4) }
        #expect(try await database.sequences() == [1, 2, 3, 4, 5])

        #expect(try await log.trimLog(through: 3) == 3)
        #expect(try await log.readLog(after: 0, limit: 10).map(\.sequence) == [4, 5])

        // A newer snapshot replaces the older one; once the log is trimmed to it, the
        // cluster's end is the snapshot's sequence.
        try await log.writeSnapshot(sequence: 5, payload: [5])
        #expect(try await log.latestSnapshot() == LogSnapshot(sequence: 5, payload: [5]))
        #expect(try await log.trimLog(through: 5) == 2)
        #expect(try await log.lastSequence() == 5)
        let snapshots = try await database.withSession { connection in
            var count: Int64 = 0
            for try await value in try await connection.query("SELECT count(*) FROM seatd_snapshot", logger: database.logger).decode(Int64.self) { count = value }
            return count
        }
        #expect(snapshots == 1)
    }
}
