import CLMDB
import Foundation
import Logging
import SeatCore
import Synchronization

/// The single thread that owns every write transaction (group commit).
///
/// Callers enqueue jobs under `condition`; the thread takes the whole queue, applies it
/// in FIFO order in one transaction, commits once, and then completes every caller of
/// that batch with the one result. LMDB ties a write transaction to its OS thread, so
/// transactions never cross an `await`.
final class StorageWriter: @unchecked Sendable {
    // @unchecked: `queue`, `queuedRefreshes`, `state` and `thread` are only touched with
    // `condition` locked; `stats` is a Mutex; the rest is immutable or writer-thread-only.

    /// Called on the writer thread once the batch holding the job has committed or failed.
    typealias Completion = @Sendable (Result<Void, StorageError>) -> Void
    typealias PurgeCompletion = @Sendable (Result<Int, StorageError>) -> Void

    private enum Job {
        /// `completion` is nil for lazily committed changes.
        case changes([StoreChange], completion: Completion?)
        case purge(endedBefore: Timestamp, limit: Int, completion: PurgeCompletion)
        case purgeAudit(AuditClass, olderThan: Timestamp, maxBytes: Int, limit: Int, completion: PurgeCompletion)
        case flush(Completion)

        /// Someone waits for this job's commit, so it must be fully durable.
        var isAwaited: Bool {
            if case .changes(_, nil) = self { return false }
            return true
        }
    }

    /// How long a queue of lazy changes alone (heartbeats) may wait to be joined by more:
    /// fewer, larger commits. A job someone waits for ends the wait at once.
    private static let lazyCommitDelay: TimeInterval = 0.02

    private enum State {
        case running
        case draining
        case stopped
    }

    private let environment: LMDBEnvironment
    private let databases: StorageDatabases
    private let maximumMapSizeBytes: Int
    private let logger: Logger
    private let stats: Mutex<SeatStore.Statistics>
    private let commitObserver: SeatStore.CommitObserver?

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var queueHasAwaitedJob = false
    /// Queue index of each lone lazy `refreshLease` still waiting, so a newer heartbeat
    /// of the same session replaces it instead of queueing a second write.
    private var queuedRefreshes: [SessionToken: Int] = [:]
    private var state = State.running
    private var thread: Thread?
    /// Writer-thread only (after `init`); advanced only when a batch commits, so an aborted
    /// batch leaves no gap in the sequence.
    private var auditKeys: AuditKeyAllocator

    init(environment: LMDBEnvironment, databases: StorageDatabases, maximumMapSizeBytes: Int, logger: Logger, commitObserver: SeatStore.CommitObserver? = nil) throws(StorageError) {
        self.commitObserver = commitObserver
        self.environment = environment
        self.databases = databases
        self.maximumMapSizeBytes = maximumMapSizeBytes
        self.logger = logger
        let usage = try environment.usage()
        auditKeys = try Self.loadAuditKeys(environment, databases)
        stats = Mutex(SeatStore.Statistics(
            mapSizeBytes: usage.mapSizeBytes, usedBytes: usage.usedBytes, commits: 0, committedChanges: 0, lastBatchSize: 0))
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "seatd-storage-writer"
        condition.lock()
        self.thread = thread
        condition.unlock()
        thread.start()
    }

    var statistics: SeatStore.Statistics {
        stats.withLock { $0 }
    }

    // MARK: Callers

    func commit(_ changes: [StoreChange]) async -> Result<Void, StorageError> {
        await withCheckedContinuation { continuation in
            commit(changes) { continuation.resume(returning: $0) }
        }
    }

    /// `completion` runs on the writer thread after the commit (or at once if closed).
    func commit(_ changes: [StoreChange], completion: @escaping Completion) {
        if !enqueue(.changes(changes, completion: completion)) {
            completion(.failure(.closed))
        }
    }

    /// Returns false when the store is closed (the changes are dropped).
    func commitLazily(_ changes: [StoreChange]) -> Bool {
        if changes.count == 1, case .refreshLease(let token, _, _) = changes[0] {
            condition.lock()
            defer { condition.unlock() }
            guard state == .running else { return false }
            if let index = queuedRefreshes[token] {
                queue[index] = .changes(changes, completion: nil)
            } else {
                queuedRefreshes[token] = queue.count
                appendLocked(.changes(changes, completion: nil))
            }
            return true
        }
        return enqueue(.changes(changes, completion: nil))
    }

    func flush() async -> Result<Void, StorageError> {
        await withCheckedContinuation { continuation in
            if !enqueue(.flush({ continuation.resume(returning: $0) })) {
                continuation.resume(returning: .failure(.closed))
            }
        }
    }

    func purgeEndedSessions(endedBefore cutoff: Timestamp, limit: Int) async -> Result<Int, StorageError> {
        await withCheckedContinuation { continuation in
            if !enqueue(.purge(endedBefore: cutoff, limit: limit, completion: { continuation.resume(returning: $0) })) {
                continuation.resume(returning: .failure(.closed))
            }
        }
    }

    func purgeAudit(_ auditClass: AuditClass, olderThan cutoff: Timestamp, maxBytes: Int, limit: Int) async -> Result<Int, StorageError> {
        await withCheckedContinuation { continuation in
            if !enqueue(.purgeAudit(auditClass, olderThan: cutoff, maxBytes: maxBytes, limit: limit, completion: { continuation.resume(returning: $0) })) {
                continuation.resume(returning: .failure(.closed))
            }
        }
    }

    /// Completes everything queued, then stops the thread. Idempotent; blocks until done.
    func close() {
        condition.lock()
        defer { condition.unlock() }
        if state == .running {
            state = .draining
            condition.broadcast()
        }
        while state != .stopped && thread != nil {
            condition.wait()
        }
    }

    private func enqueue(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard state == .running else { return false }
        // A queued heartbeat must not be moved ahead of a later write of the same session
        // (a putSession would then overwrite the newer lease), so stop coalescing into it.
        if !queuedRefreshes.isEmpty, case .changes(let changes, _) = job {
            for change in changes {
                switch change {
                case .putSession(let session): queuedRefreshes[session.token] = nil
                case .endSession(let ended): queuedRefreshes[ended.token] = nil
                case .refreshLease(let token, _, _): queuedRefreshes[token] = nil
                case .putLicense, .deleteLicense, .putTenant, .deleteTenant, .putAccessKey, .appendAudit: break
                }
            }
        }
        appendLocked(job)
        return true
    }

    private func appendLocked(_ job: Job) {
        // The thread waits on an empty queue, or on a queue of lazy changes for the first
        // awaited job: only those two moments need a signal.
        if queue.isEmpty || (job.isAwaited && !queueHasAwaitedJob) { condition.signal() }
        if job.isAwaited { queueHasAwaitedJob = true }
        queue.append(job)
    }

    // MARK: Writer thread

    private func run() {
        // Failure of a batch that held lazy changes, reported to the next flush.
        var lazyFailure: StorageError?
        while let batch = nextBatch() {
            process(batch[...], lazyFailure: &lazyFailure)
        }
        condition.lock()
        state = .stopped
        condition.broadcast()
        condition.unlock()
    }

    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && state == .running {
            condition.wait()
        }
        if queue.isEmpty { return nil }
        let deadline = Date(timeIntervalSinceNow: Self.lazyCommitDelay)
        while !queueHasAwaitedJob && state == .running && condition.wait(until: deadline) {}
        var batch: [Job] = []
        swap(&batch, &queue)
        queueHasAwaitedJob = false
        queuedRefreshes.removeAll(keepingCapacity: true)
        return batch
    }

    private func process(_ batch: ArraySlice<Job>, lazyFailure: inout StorageError?) {
        var changeCount = 0
        var needsTransaction = false
        for job in batch {
            switch job {
            case .changes(let changes, _):
                changeCount += changes.count
                needsTransaction = needsTransaction || !changes.isEmpty
            case .purge, .purgeAudit: needsTransaction = true
            case .flush: break
            }
        }

        var outcome = Result<[Int], StorageError>.success([])
        let started = ContinuousClock.now
        if needsTransaction {
            outcome = commitGrowingMap(batch, syncMetaPage: batch.contains { $0.isAwaited })
            if case .failure(let error) = outcome, error.isTransactionFull, batch.count > 1 {
                // Too many dirty pages for one transaction: commit the halves separately.
                // Each job stays atomic, and FIFO order is kept.
                let middle = batch.startIndex + batch.count / 2
                process(batch[..<middle], lazyFailure: &lazyFailure)
                process(batch[middle...], lazyFailure: &lazyFailure)
                return
            }
        }

        switch outcome {
        case .success:
            if needsTransaction {
                let usage = try? environment.usage()
                stats.withLock { stats in
                    stats.commits += 1
                    stats.committedChanges += changeCount
                    stats.lastBatchSize = changeCount
                    if let usage {
                        stats.mapSizeBytes = usage.mapSizeBytes
                        stats.usedBytes = usage.usedBytes
                    }
                }
                commitObserver?(changeCount, ContinuousClock.now - started)
            }
        case .failure(let error):
            logger.error("storage batch failed; nothing of it was stored", metadata: [
                "error": "\(error)", "jobs": "\(batch.count)", "changes": "\(changeCount)",
            ])
        }
        complete(batch, outcome, lazyFailure: &lazyFailure)
    }

    private func complete(_ batch: ArraySlice<Job>, _ outcome: Result<[Int], StorageError>, lazyFailure: inout StorageError?) {
        let failure: StorageError? = if case .failure(let error) = outcome { error } else { nil }
        var purgeIndex = 0
        for job in batch {
            switch job {
            case .changes(_, let completion?):
                completion(outcome.map { _ in () })
            case .changes(_, nil):
                if let failure { lazyFailure = failure }
            case .purge(_, _, let completion), .purgeAudit(_, _, _, _, let completion):
                completion(outcome.map { $0[purgeIndex] })
                purgeIndex += 1
            case .flush(let completion):
                if let error = failure ?? lazyFailure {
                    completion(.failure(error))
                } else {
                    completion(.success(()))
                }
                lazyFailure = nil
            }
        }
    }

    /// Commits the batch, doubling the map on `MDB_MAP_FULL` (up to the maximum) and
    /// retrying it: the failed attempt was aborted, so nothing of it is stored.
    /// A batch of lazy changes only skips the meta-page sync (see `LMDBEnvironment.write`).
    private func commitGrowingMap(_ batch: ArraySlice<Job>, syncMetaPage: Bool) -> Result<[Int], StorageError> {
        while true {
            do throws(StorageError) {
                var keys = auditKeys
                let purged = try environment.write(syncMetaPage: syncMetaPage) { txn throws(StorageError) in try apply(batch, txn, &keys) }
                auditKeys = keys
                return .success(purged)
            } catch where error.isMapFull {
                do throws(StorageError) {
                    let current = try environment.usage().mapSizeBytes
                    guard current < maximumMapSizeBytes else {
                        return .failure(.full("map size limit of \(maximumMapSizeBytes) bytes reached"))
                    }
                    let next = min(current * 2, maximumMapSizeBytes)
                    try environment.setMapSize(next)
                    stats.withLock { $0.mapSizeBytes = next }
                    logger.info("storage map grown", metadata: ["from": "\(current)", "to": "\(next)"])
                } catch {
                    return .failure(error)
                }
            } catch where error.isInputOutputError {
                // A short write on a file system that is (nearly) out of space is a full
                // disk, not a failing one: report it as such so operators see the real cause.
                if let available = environment.availableDiskBytes, available < Self.nearlyFullDiskBytes {
                    return .failure(.full("no space left on the file system (\(available) bytes available)"))
                }
                return .failure(error)
            } catch {
                return .failure(error)
            }
        }
    }

    private static let nearlyFullDiskBytes = 1 << 20

    /// Applies every job in order; returns the number purged by each purge job.
    private func apply(_ batch: ArraySlice<Job>, _ txn: borrowing LMDBTransaction, _ auditKeys: inout AuditKeyAllocator) throws(StorageError) -> [Int] {
        let sequenceBefore = auditKeys.lastSequence
        var purged: [Int] = []
        for job in batch {
            switch job {
            case .changes(let changes, _):
                for change in changes {
                    try apply(change, txn, &auditKeys)
                }
            case .purge(let cutoff, let limit, _):
                purged.append(try purgeEndedSessions(endedBefore: cutoff, limit: limit, txn))
            case .purgeAudit(let auditClass, let cutoff, let maxBytes, let limit, _):
                purged.append(try purgeAudit(databases.audit[auditClass], olderThan: cutoff, maxBytes: maxBytes, limit: limit, txn))
            case .flush:
                break
            }
        }
        if auditKeys.lastSequence != sequenceBefore {
            try RecordCodec.auditSequenceKey.withBytes { key throws(StorageError) in
                try RecordCodec.encodeAuditSequence(auditKeys.lastSequence).withBytes { value throws(StorageError) in
                    try txn.put(databases.meta, key, value)
                }
            }
        }
        return purged
    }

    private func apply(_ change: StoreChange, _ txn: borrowing LMDBTransaction, _ auditKeys: inout AuditKeyAllocator) throws(StorageError) {
        let db = databases
        switch change {
        case .appendAudit(let event):
            let audit = db.audit[event.kind.auditClass]
            try RecordCodec.withAuditKey(auditKeys.next(for: event.time)) { key throws(StorageError) in
                try RecordCodec.encodeAuditRecord(event).withBytes { value throws(StorageError) in
                    // Keys nearly always grow, and appending keeps the pages full (half the
                    // size of splitting them); after a clock step back the key is older.
                    if try !txn.append(audit, key, value) {
                        try txn.put(audit, key, value)
                    }
                }
            }

        case .putLicense(let license):
            try put(RecordCodec.encode(license), at: license.key, in: db.licenses, txn)

        case .deleteLicense(let licenseKey):
            try delete(licenseKey, from: db.licenses, txn)

        case .putSession(let session):
            try RecordCodec.withTokenKey(session.token) { key throws(StorageError) in
                try RecordCodec.encode(session).withBytes { value throws(StorageError) in
                    try txn.put(db.sessions, key, value)
                }
            }

        case .refreshLease(let token, let lastHeartbeatAt, let leaseExpiresAt):
            try RecordCodec.withTokenKey(token) { key throws(StorageError) in
                // Absent means ended (or never stored): never recreate it from a heartbeat.
                let refreshed = try txn.get(db.sessions, key) { record throws(StorageError) in
                    try RecordCodec.refreshingLease(record, lastHeartbeatAt: lastHeartbeatAt, leaseExpiresAt: leaseExpiresAt)
                }
                try refreshed?.withBytes { value throws(StorageError) in
                    try txn.put(db.sessions, key, value)
                }
            }

        case .endSession(let ended):
            try RecordCodec.withTokenKey(ended.token) { key throws(StorageError) in
                try txn.delete(db.sessions, key)
                // A session ended twice keeps one tombstone: drop the old time index entry.
                let previous = try txn.get(db.ended, key) { record throws(StorageError) in
                    try RecordCodec.decodeEndedSession(token: ended.token, record)
                }
                if let previous {
                    try RecordCodec.withEndedByTimeKey(endedAt: previous.endedAt, token: ended.token) { timeKey throws(StorageError) in
                        _ = try txn.delete(db.endedByTime, timeKey)
                    }
                }
                try RecordCodec.encode(ended).withBytes { value throws(StorageError) in
                    try txn.put(db.ended, key, value)
                }
                try RecordCodec.withEndedByTimeKey(endedAt: ended.endedAt, token: ended.token) { timeKey throws(StorageError) in
                    try txn.put(db.endedByTime, timeKey, UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }

        case .putTenant(let tenant):
            try put(RecordCodec.encode(tenant), at: tenant.id, in: db.tenants, txn)

        case .deleteTenant(let id):
            try delete(id, from: db.tenants, txn)

        case .putAccessKey(let accessKey):
            try put(RecordCodec.encode(accessKey), at: accessKey.id, in: db.accessKeys, txn)
        }
    }

    /// Upserts a record under a UTF-8 string key.
    private func put(_ record: [UInt8], at key: String, in database: MDB_dbi, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        try key.withUTF8Bytes { key throws(StorageError) in
            try record.withBytes { value throws(StorageError) in
                try txn.put(database, key, value)
            }
        }
    }

    private func delete(_ key: String, from database: MDB_dbi, _ txn: borrowing LMDBTransaction) throws(StorageError) {
        try key.withUTF8Bytes { key throws(StorageError) in
            _ = try txn.delete(database, key)
        }
    }

    /// Oldest first in one class's database: everything older than `cutoff`, then more
    /// while it takes more than `maxBytes`. Deleting records frees whole pages only as
    /// leaves merge, so the size is checked after every deletion rather than estimated up front.
    private func purgeAudit(_ audit: MDB_dbi, olderThan cutoff: Timestamp, maxBytes: Int, limit: Int, _ txn: borrowing LMDBTransaction) throws(StorageError) -> Int {
        var purged = 0
        while purged < limit {
            guard let oldest = try txn.firstKey(audit, RecordCodec.decodeAuditKey) else { break }
            if oldest.time >= cutoff, try txn.usage(audit).bytes <= maxBytes { break }
            try RecordCodec.withAuditKey(oldest) { key throws(StorageError) in
                _ = try txn.delete(audit, key)
            }
            purged += 1
        }
        return purged
    }

    /// Where audit keys continue after a restart: the stored last sequence (kept in `meta`
    /// because retention may have deleted every event) and the newest key of any class.
    private static func loadAuditKeys(_ environment: LMDBEnvironment, _ databases: StorageDatabases) throws(StorageError) -> AuditKeyAllocator {
        try environment.read { txn throws(StorageError) in
            var newest: AuditCursor?
            for auditClass in AuditClass.allCases {
                if let last = try txn.lastKey(databases.audit[auditClass], RecordCodec.decodeAuditKey), newest.map({ $0 < last }) ?? true {
                    newest = last
                }
            }
            let stored = try RecordCodec.auditSequenceKey.withBytes { key throws(StorageError) in
                try txn.get(databases.meta, key, RecordCodec.decodeAuditSequence)
            }
            return AuditKeyAllocator(lastSequence: max(stored ?? 0, newest?.sequence ?? 0), lastTime: newest?.time)
        }
    }

    private func purgeEndedSessions(endedBefore cutoff: Timestamp, limit: Int, _ txn: borrowing LMDBTransaction) throws(StorageError) -> Int {
        var purged = 0
        while purged < limit {
            guard let oldest = try txn.firstKey(databases.endedByTime, RecordCodec.decodeEndedByTimeKey),
                  oldest.endedAt < cutoff else { break }
            try RecordCodec.withTokenKey(oldest.token) { key throws(StorageError) in
                _ = try txn.delete(databases.ended, key)
            }
            try RecordCodec.withEndedByTimeKey(endedAt: oldest.endedAt, token: oldest.token) { timeKey throws(StorageError) in
                _ = try txn.delete(databases.endedByTime, timeKey)
            }
            purged += 1
        }
        return purged
    }
}
