import CLMDB
import Foundation
import Logging
import SeatCore

/// Durable storage of licenses, live sessions and tombstones of ended sessions.
///
/// Reads run on the calling thread in their own snapshot. Writes go through one writer
/// thread that groups concurrent callers into one transaction (group commit).
public final class SeatStore: Sendable {
    public struct Statistics: Sendable {
        public var mapSizeBytes: Int
        public var usedBytes: Int
        /// Write transactions committed since open.
        public var commits: Int
        /// Changes in those transactions (a coalesced heartbeat counts once).
        public var committedChanges: Int
        /// Changes in the most recent committed transaction.
        public var lastBatchSize: Int
        /// Writes that add data are being refused (storage high-water, `SpaceReserve`).
        public var refusingAddingWrites = false
        /// Writes that add data refused for lack of space since open.
        public var refusedAddingWrites = 0
    }

    // Internal, not private: the audit log's part of the store lives in `SeatStore+Audit`.
    let environment: LMDBEnvironment
    let databases: StorageDatabases
    let writer: StorageWriter
    private let logger: Logger
    private let maximumKeySize: Int

    /// Told the size and duration of every committed write transaction (for metrics).
    /// It runs on the writer thread between batches, so it must be quick.
    public typealias CommitObserver = @Sendable (_ changes: Int, _ duration: Duration) -> Void

    /// Told the audit events of every committed batch, after its callers were answered
    /// (the seat lines of the log). Runs on the writer thread.
    public typealias AuditObserver = @Sendable (_ events: [AuditEvent]) -> Void

    /// Opens or creates the store in `options.directory` and starts its writer thread.
    public init(options: StorageOptions, logger: Logger, commitObserver: CommitObserver? = nil, auditObserver: AuditObserver? = nil) throws(StorageError) {
        try Self.createDirectory(options.directory)
        let environment = try LMDBEnvironment(
            directory: options.directory,
            mapSizeBytes: options.initialMapSizeBytes,
            maximumReaders: 512,
            noSync: options.durability == .noSync
        )
        do {
            databases = try StorageDatabases.open(in: environment)
            writer = try StorageWriter(
                environment: environment,
                databases: databases,
                options: options,
                logger: logger,
                commitObserver: commitObserver,
                auditObserver: auditObserver
            )
        } catch {
            environment.close()
            throw error
        }
        self.environment = environment
        self.logger = logger
        maximumKeySize = environment.maximumKeySize
        writer.start()
        logger.info("storage opened", metadata: [
            "directory": "\(options.directory)", "durability": "\(options.durability.rawValue)",
            "mapSizeBytes": "\(writer.statistics.mapSizeBytes)",
        ])
    }

    deinit {
        close()
    }

    // MARK: Reads

    public func loadLicenses() throws(StorageError) -> [License] {
        try environment.read { txn throws(StorageError) in
            var licenses: [License] = []
            licenses.reserveCapacity(try txn.count(databases.licenses))
            try txn.forEach(databases.licenses) { _, value throws(StorageError) in
                licenses.append(try RecordCodec.decodeLicense(value))
            }
            return licenses
        }
    }

    public func loadLiveSessions() throws(StorageError) -> [Session] {
        try environment.read { txn throws(StorageError) in
            var sessions: [Session] = []
            sessions.reserveCapacity(try txn.count(databases.sessions))
            try txn.forEach(databases.sessions) { key, value throws(StorageError) in
                sessions.append(try RecordCodec.decodeSession(token: try RecordCodec.decodeToken(key), value))
            }
            return sessions
        }
    }

    public func loadTenants() throws(StorageError) -> [Tenant] {
        try environment.read { txn throws(StorageError) in
            var tenants: [Tenant] = []
            try txn.forEach(databases.tenants) { _, value throws(StorageError) in
                tenants.append(try RecordCodec.decodeTenant(value))
            }
            return tenants
        }
    }

    public func loadAccessKeys() throws(StorageError) -> [AccessKey] {
        try environment.read { txn throws(StorageError) in
            var keys: [AccessKey] = []
            try txn.forEach(databases.accessKeys) { _, value throws(StorageError) in
                keys.append(try RecordCodec.decodeAccessKey(value))
            }
            return keys
        }
    }

    /// The tombstone of an ended session, if it has not been purged yet.
    public func endedSession(_ token: SessionToken) throws(StorageError) -> EndedSession? {
        try environment.read { txn throws(StorageError) in
            try RecordCodec.withTokenKey(token) { key throws(StorageError) in
                try txn.get(databases.ended, key) { record throws(StorageError) in
                    try RecordCodec.decodeEndedSession(token: token, record)
                }
            }
        }
    }

    // MARK: Writes

    /// Stores all `changes` atomically; returns once the commit holding them is durable.
    public func commit(_ changes: [StoreChange]) async throws(StorageError) {
        if let error = invalidKey(in: changes) { throw error }
        try await writer.commit(changes).get()
    }

    /// Stores all `changes` atomically and calls `completion` once, on the storage
    /// writer's thread, after the commit holding them is durable (or has failed). For
    /// callers on an event loop: nothing suspends, and the caller hops back to its loop.
    /// A call refused up front (an invalid key, a closed store) completes on the calling
    /// thread before this returns.
    ///
    /// Completions run one after another between batches, so the writer commits nothing
    /// while one runs: a completion must only hand the result to its own executor (e.g.
    /// `eventLoop.execute`) and return. It must never wait for the store (another
    /// commit's completion, a flush, `close`): the writer that would end the wait is the
    /// thread it blocks.
    public func commit(_ changes: [StoreChange], completion: @escaping @Sendable (Result<Void, StorageError>) -> Void) {
        if let error = invalidKey(in: changes) { return completion(.failure(error)) }
        writer.commit(changes, completion: completion)
    }

    /// Queues `changes` for the next batch without waiting (heartbeats). They may be
    /// lost if that batch fails or the process dies first; `flush` reports a failure.
    public func commitLazily(_ changes: [StoreChange]) {
        if let error = invalidKey(in: changes) {
            logger.error("lazy changes dropped", metadata: ["error": "\(error)"])
        } else if !writer.commitLazily(changes) {
            logger.warning("lazy changes dropped: the store is closed", metadata: ["changes": "\(changes.count)"])
        }
    }

    /// Waits until everything enqueued before this call is committed.
    public func flush() async throws(StorageError) {
        try await writer.flush().get()
    }

    /// Deletes at most `limit` tombstones that ended before `cutoff`, oldest first.
    public func purgeEndedSessions(endedBefore cutoff: Timestamp, limit: Int) async throws(StorageError) -> Int {
        try await writer.purgeEndedSessions(endedBefore: cutoff, limit: limit).get()
    }

    /// A compacted, consistent copy into `directory` (created if missing; it must not
    /// hold a data.mdb yet). Writes continue meanwhile, but the map cannot grow until
    /// the copy is done.
    public func backup(toDirectory directory: String) throws(StorageError) {
        try Self.createDirectory(directory)
        try environment.copyCompacted(toDirectory: directory)
    }

    public var statistics: Statistics {
        writer.statistics
    }

    /// Completes everything queued, stops the writer and closes the environment.
    /// Idempotent; afterwards every call throws `.closed`.
    public func close() {
        writer.close()
        environment.close()
    }

    /// LMDB refuses empty and over-long keys. Such a call is refused up front, without a
    /// trip to the writer (which would refuse only that call's job and retry its batch).
    private func invalidKey(in changes: [StoreChange]) -> StorageError? {
        for change in changes {
            let key: String
            switch change {
            case .putLicense(let license): key = license.key
            case .deleteLicense(let licenseKey): key = licenseKey
            case .putTenant(let tenant): key = tenant.id
            case .deleteTenant(let id): key = id
            case .putAccessKey(let accessKey): key = accessKey.id
            case .putSession, .refreshLease, .endSession, .appendAudit: continue
            }
            if key.utf8.isEmpty || key.utf8.count > maximumKeySize {
                return .io(code: MDB_BAD_VALSIZE, "key must be 1 to \(maximumKeySize) UTF-8 bytes, got \(key.utf8.count)")
            }
        }
        return nil
    }

    private static func createDirectory(_ path: String) throws(StorageError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(code: EIO, "cannot create directory \(path): \(error)")
        }
    }
}
