import NIOCore
import PostgresNIO
import SeatCluster
import SeatStorage
import Testing

/// The fenced append against a real PostgreSQL: only the current epoch's leader adds to
/// the log, a sequence is written once, and failures are errors the writer can act on.
@Suite("ClusterTests: fenced log append")
struct ReplicaLogAppendTests {
    @Test func anAppendOfTheCurrentEpochIsStoredAndAnOldEpochsIsFenced() async throws {
        let database = try await ClusterDatabase.make()
        try await database.setEpoch(3)
        let log = try database.makeLog()
        defer { Task { await log.close() } }

        let stored = await onThread { () throws(StorageError) in try log.append(sequence: 1, epoch: 3, payload: [1, 2, 3]) }
        #expect(throws: Never.self) { try stored.get() }
        let stale = await onThread { () throws(StorageError) in try log.append(sequence: 2, epoch: 2, payload: [9]) }
        guard case .failure(.fenced) = stale else { Issue.record("an old epoch's append gave \(stale)"); return }

        #expect(try await log.readLog(after: 0, limit: 10) == [LogEntry(sequence: 1, epoch: 3, payload: [1, 2, 3])])
    }

    @Test func aSequenceAlreadyInTheLogIsFencedAndKeepsItsFirstPayload() async throws {
        let database = try await ClusterDatabase.make()
        try await database.setEpoch(1)
        let log = try database.makeLog()
        defer { Task { await log.close() } }

        _ = try await onThread { () throws(StorageError) in try log.append(sequence: 1, epoch: 1, payload: [1]) }.get()
        let again = await onThread { () throws(StorageError) in try log.append(sequence: 1, epoch: 1, payload: [2]) }
        guard case .failure(.fenced) = again else { Issue.record("a duplicate sequence gave \(again)"); return }
        #expect(try await log.readLog(after: 0, limit: 10).map(\.payload) == [[1]])
    }

    /// The race the share lock closes: an append that arrives while a takeover's epoch
    /// update is uncommitted waits for it, then finds the new epoch and inserts nothing.
    @Test func anAppendRacingATakeoverWaitsForItAndIsFenced() async throws {
        let database = try await ClusterDatabase.make()
        try await database.setEpoch(1)
        let log = try database.makeLog()
        defer { Task { await log.close() } }
        _ = try await onThread { () throws(StorageError) in try log.append(sequence: 1, epoch: 1, payload: [1]) }.get()

        try await database.withSession { rival in
            try await rival.query("BEGIN", logger: database.logger)
            try await rival.query("UPDATE seatd_leader SET epoch = epoch + 1 WHERE id = 1", logger: database.logger)
            async let racing = onThread { () throws(StorageError) in try log.append(sequence: 2, epoch: 1, payload: [2]) }
            try await eventually("the append to wait for the takeover's row lock") {
                try await database.sessionsWaitingForALock(runningStatementStartingWith: "INSERT INTO seatd_log") == 1
            }
            try await rival.query("COMMIT", logger: database.logger)
            let result = await racing
            guard case .failure(.fenced) = result else { Issue.record("the racing append gave \(result)"); return }
        }
        #expect(try await database.sequences() == [1])
    }

    /// A takeover that starts while an append is in flight waits for the append to commit:
    /// the new leader then reads it from the log, so nothing acknowledged is lost.
    @Test func aTakeoverWaitsForAnAppendInFlight() async throws {
        let database = try await ClusterDatabase.make()
        try await database.setEpoch(1)
        try await database.withSession { holder in
            // The append's share lock, held open as an append in flight would hold it.
            try await holder.query("BEGIN", logger: database.logger)
            try await holder.query("INSERT INTO seatd_log SELECT 1, 1, '\\x01'::bytea FROM seatd_leader WHERE id = 1 AND epoch = 1 FOR SHARE", logger: database.logger)
            async let takeover: Void = database.withSession { rival in
                try await rival.query("UPDATE seatd_leader SET epoch = epoch + 1 WHERE id = 1", logger: database.logger)
            }
            try await eventually("the takeover to wait for the append's share lock") {
                try await database.sessionsWaitingForALock(runningStatementStartingWith: "UPDATE seatd_leader") == 1
            }
            try await holder.query("COMMIT", logger: database.logger)
            try await takeover
        }
        #expect(try await database.sequences() == [1])
    }

    /// PostgreSQL cancels an append that waits too long (here for a row lock), so it fails
    /// in time with nothing stored, and the same batch can be appended afterwards.
    @Test func anAppendThatWaitsTooLongFailsInTimeAndStoresNothing() async throws {
        let database = try await ClusterDatabase.make()
        try await database.setEpoch(1)
        let log = try database.makeLog(appendTimeout: .milliseconds(500))
        defer { Task { await log.close() } }

        try await database.withSession { blocker in
            try await blocker.query("BEGIN", logger: database.logger)
            try await blocker.query("SELECT epoch FROM seatd_leader WHERE id = 1 FOR UPDATE", logger: database.logger)
            let started = ContinuousClock.now
            let blocked = await onThread { () throws(StorageError) in try log.append(sequence: 1, epoch: 1, payload: [1]) }
            guard case .failure(.replication) = blocked else { Issue.record("a blocked append gave \(blocked)"); return }
            // The lock is held until this test lets go: only the timeout (500 ms) ends the
            // wait; 20 times that, so a loaded machine's scheduling is not what is measured.
            #expect(ContinuousClock.now - started < .seconds(10))
            // On a loaded machine the statement may reach the server late, and still wait
            // there when the caller has given up: the server's own timeout ends it too.
            try await eventually("the server to cancel the blocked append") {
                try await database.sessionsWaitingForALock(runningStatementStartingWith: "INSERT INTO seatd_log") == 0
            }
            try await blocker.query("ROLLBACK", logger: database.logger)
        }
        #expect(try await database.sequences() == [])
        _ = try await onThread { () throws(StorageError) in try log.append(sequence: 1, epoch: 1, payload: [1]) }.get()
        #expect(try await database.sequences() == [1])
    }

    @Test func aLostSessionIsReplacedOnTheNextAppend() async throws {
        let database = try await ClusterDatabase.make()
        try await database.setEpoch(1)
        let log = try database.makeLog()
        defer { Task { await log.close() } }
        _ = try await onThread { () throws(StorageError) in try log.append(sequence: 1, epoch: 1, payload: [1]) }.get()

        let terminated = try await database.withSession { admin in
            let rows = try await admin.query("""
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND ltrim(query) LIKE 'INSERT INTO seatd_log%'
                """, logger: database.logger)
            var count: Int64 = 0
            for try await value in rows.decode(Int64.self) { count = value }
            return count
        }
        #expect(terminated == 1)
        // The first append after the loss may find the session closed (an error the writer
        // reports for that batch); the one after it reconnects.
        let first = await onThread { () throws(StorageError) in try log.append(sequence: 2, epoch: 1, payload: [2]) }
        if case .failure(let error) = first {
            guard case .replication = error else { Issue.record("a lost session gave \(error)"); return }
            _ = try await onThread { () throws(StorageError) in try log.append(sequence: 2, epoch: 1, payload: [2]) }.get()
        }
        #expect(try await database.sequences() == [1, 2])
    }

    @Test func theReplicatorAppendsTheEncodedBatchAsItsEpoch() async throws {
        let database = try await ClusterDatabase.make()
        try await database.setEpoch(4)
        let log = try database.makeLog()
        defer { Task { await log.close() } }
        let replicator = FencedLogReplicator(log: log, epoch: 4) { batch in
            batch.writes.flatMap { [UInt8]($0.database.utf8) + $0.key + ($0.value ?? []) }
        }
        let batch = ReplicationBatch(sequence: 1, writes: [ReplicatedWrite(database: "s", key: [7], value: [8])])
        _ = try await onThread { () throws(StorageError) in try replicator.replicate(batch) }.get()
        #expect(try await log.readLog(after: 0, limit: 1) == [LogEntry(sequence: 1, epoch: 4, payload: [UInt8("s".utf8.first!), 7, 8])])

        let stale = FencedLogReplicator(log: log, epoch: 3) { _ in [0] }
        let refused = await onThread { () throws(StorageError) in try stale.replicate(ReplicationBatch(sequence: 2, writes: [])) }
        guard case .failure(.fenced) = refused else { Issue.record("an old epoch's replicator gave \(refused)"); return }
    }
}
