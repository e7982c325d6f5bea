import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import SeatStorage

/// The replication log in PostgreSQL (`seatd_log`), the cluster's source of truth.
///
/// The active node's storage writer appends each batch with `append`, blocking on its own
/// thread; standbys read the log with `readLog` and apply it. Appends and reads use
/// sessions of their own, so a read never waits behind an append or is lost with it.
public final class PostgresReplicaLog: Sendable {
    private let appendSession: ClusterConnection
    private let readSession: ClusterConnection
    private let appendTimeout: TimeAmount
    private let readTimeout: TimeAmount

    /// `appendTimeout` bounds one append, connecting included; `readTimeout` one read.
    public init(
        settings: PostgresSettings,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        appendTimeout: TimeAmount = .seconds(5),
        readTimeout: TimeAmount = .seconds(10),
        logger: Logger
    ) throws(ClusterSettingsError) {
        let configuration = try settings.connectionConfiguration()
        // The server cancels a statement that runs (or waits for a lock) for most of the
        // limit, so the append fails with nothing stored; only when the server does not
        // answer at all does the limit itself strike, and the outcome is unknown.
        appendSession = ClusterConnection(
            configuration: configuration, eventLoop: eventLoopGroup.any(), logger: logger,
            sessionSetup: ["SET statement_timeout = \(max(1, appendTimeout.nanoseconds * 4 / 5 / 1_000_000))"]
        )
        readSession = ClusterConnection(
            configuration: configuration, eventLoop: eventLoopGroup.any(), logger: logger, sessionSetup: []
        )
        self.appendTimeout = appendTimeout
        self.readTimeout = readTimeout
    }

    /// Appends batch `sequence` as `epoch`'s leader, and returns once PostgreSQL has
    /// committed it. Blocks: call it from a thread of its own, never an event loop or a task.
    ///
    /// One statement, which inserts only while `seatd_leader.epoch` is still `epoch`. It
    /// takes a share lock on the leader row, so a takeover's epoch update waits for the
    /// append to commit, and an append that waited for a takeover finds the new epoch and
    /// inserts nothing. Throws `.fenced` when the epoch has moved on or the sequence is
    /// already in the log (another node appended it), `.replication` when PostgreSQL did not
    /// answer in time or the session broke (the next append reconnects). A statement that
    /// PostgreSQL cancelled stored nothing; after a lost session or no answer at all the
    /// batch may or may not be in the log (an append of the same sequence then is `.fenced`).
    public func append(sequence: UInt64, epoch: UInt64, payload: [UInt8]) throws(StorageError) {
        guard let sequenceValue = Int64(exactly: sequence), let epochValue = Int64(exactly: epoch) else {
            throw .replication("sequence \(sequence) or epoch \(epoch) is beyond PostgreSQL's bigint")
        }
        let query: PostgresQuery = """
            INSERT INTO seatd_log (sequence, epoch, payload)
            SELECT \(sequenceValue), \(epochValue), \(ByteBuffer(bytes: payload))
            FROM seatd_leader WHERE id = 1 AND epoch = \(epochValue) FOR SHARE
            """
        let result: PostgresQueryResult
        do {
            result = try appendSession.run(query, operation: "the append of batch \(sequence)", timeout: appendTimeout).wait()
        } catch {
            if PostgresErrorText.sqlState(of: error) == PostgresErrorText.uniqueViolation {
                throw .fenced("batch \(sequence) is already in the log: another node appended it")
            }
            throw .replication("appending batch \(sequence) to the PostgreSQL log: \(PostgresErrorText.of(error))")
        }
        guard result.metadata.rows == 1 else {
            throw .fenced("epoch \(epoch) is no longer the leader's: another node took over")
        }
    }

    /// Log entries after `sequence`, in order, at most `limit` of them.
    public func readLog(after sequence: UInt64, limit: Int) async throws -> [LogEntry] {
        let after = try Self.bigint(sequence, "sequence")
        let rows = try await read(
            "SELECT sequence, epoch, payload FROM seatd_log WHERE sequence > \(after) ORDER BY sequence LIMIT \(max(0, limit))",
            operation: "reading the log"
        )
        return try rows.map { row in
            let (sequence, epoch, payload) = try row.decode((Int64, Int64, ByteBuffer).self)
            return LogEntry(sequence: UInt64(sequence), epoch: UInt64(epoch), payload: Array(buffer: payload))
        }
    }

    /// The highest sequence the cluster has: the log's last entry, or the latest snapshot's
    /// when the log was trimmed up to it; 0 when there is neither.
    public func lastSequence() async throws -> UInt64 {
        let rows = try await read(
            """
            SELECT greatest((SELECT max(sequence) FROM seatd_log), (SELECT max(sequence) FROM seatd_snapshot), 0)
            """,
            operation: "reading the log's end"
        )
        return try rows.first.map { UInt64(try $0.decode(Int64.self)) } ?? 0
    }

    /// The newest snapshot, if any.
    public func latestSnapshot() async throws -> LogSnapshot? {
        let rows = try await read(
            "SELECT sequence, payload FROM seatd_snapshot ORDER BY sequence DESC LIMIT 1",
            operation: "reading the latest snapshot"
        )
        return try rows.first.map { row in
            let (sequence, payload) = try row.decode((Int64, ByteBuffer).self)
            return LogSnapshot(sequence: UInt64(sequence), payload: Array(buffer: payload))
        }
    }

    /// Stores a snapshot of the store as of log entry `sequence` and drops older snapshots,
    /// in one statement. The caller vouches that `payload` holds exactly entries 1...sequence.
    public func writeSnapshot(sequence: UInt64, payload: [UInt8]) async throws {
        let value = try Self.bigint(sequence, "snapshot sequence")
        _ = try await read(
            """
            WITH written AS (
                INSERT INTO seatd_snapshot (sequence, payload) VALUES (\(value), \(ByteBuffer(bytes: payload)))
                ON CONFLICT (sequence) DO UPDATE SET payload = excluded.payload, created_at = now()
                RETURNING sequence
            )
            DELETE FROM seatd_snapshot WHERE sequence < (SELECT sequence FROM written)
            """,
            operation: "writing a snapshot"
        )
    }

    /// Deletes the log entries up to `sequence`, which the latest snapshot must cover (so a
    /// new node can always start from the snapshot and the log after it). Returns how many.
    @discardableResult
    public func trimLog(through sequence: UInt64) async throws -> Int {
        let value = try Self.bigint(sequence, "sequence")
        let rows = try await read(
            """
            WITH covered AS (SELECT max(sequence) AS sequence FROM seatd_snapshot),
            deleted AS (
                DELETE FROM seatd_log
                WHERE sequence <= \(value) AND \(value) <= (SELECT sequence FROM covered)
                RETURNING 1
            )
            SELECT (SELECT sequence FROM covered), (SELECT count(*) FROM deleted)
            """,
            operation: "trimming the log"
        )
        let (covered, deleted): (Int64?, Int64) = try rows.first?.decode((Int64?, Int64).self) ?? (nil, 0)
        guard let covered, UInt64(covered) >= sequence else {
            throw ClusterError.trimBeyondSnapshot(requested: sequence, latestSnapshot: covered.map(UInt64.init))
        }
        return Int(deleted)
    }

    /// Closes both sessions.
    public func close() async {
        await appendSession.close()
        await readSession.close()
    }

    private func read(_ query: PostgresQuery, operation: String) async throws -> PostgresQueryResult {
        try await readSession.run(query, operation: operation, timeout: readTimeout).get()
    }

    static func bigint(_ value: UInt64, _ name: String) throws -> Int64 {
        guard let value = Int64(exactly: value) else { throw ClusterError.outOfRange(name: name, value: value) }
        return value
    }
}

/// One entry of the replication log: the encoded batch `sequence`, appended by the leader
/// of `epoch`.
public struct LogEntry: Sendable, Equatable {
    public var sequence: UInt64
    public var epoch: UInt64
    public var payload: [UInt8]

    public init(sequence: UInt64, epoch: UInt64, payload: [UInt8]) {
        self.sequence = sequence
        self.epoch = epoch
        self.payload = payload
    }
}

/// An encoded copy of the whole store as of log entry `sequence`.
public struct LogSnapshot: Sendable, Equatable {
    public var sequence: UInt64
    public var payload: [UInt8]

    public init(sequence: UInt64, payload: [UInt8]) {
        self.sequence = sequence
        self.payload = payload
    }
}
