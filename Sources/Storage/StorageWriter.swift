import CLMDB
import Foundation
import Logging
import SeatCore
import Synchronization

/// The single thread that owns every write transaction (group commit).
///
/// Callers enqueue jobs under `condition`; the thread takes the whole queue, applies it
/// in FIFO order in one transaction, commits once, and then completes every caller of
/// that batch, in order, between batches and with no lock held. A job whose own change
/// fails is refused alone and the rest of the batch still commits (`process`). LMDB ties
/// a write transaction to its OS thread, so transactions never cross an `await`.
final class StorageWriter: @unchecked Sendable {
    // @unchecked: `queue`, `queueHasAwaitedJob`, `queuedRefreshes`, `isWriterWaiting`,
    // `state`, `thread`, `requestedReplicator` and `replicationRequested` are only touched
    // with `condition` locked; `stats` is a Mutex, `appliedSequence` an Atomic; the rest
    // is immutable or writer-thread-only.

    /// Called on the writer thread once the batch holding the job has committed or failed.
    typealias Completion = @Sendable (Result<Void, StorageError>) -> Void
    typealias PurgeCompletion = @Sendable (Result<Int, StorageError>) -> Void

    private enum Job {
        /// `completion` is nil for lazily committed changes.
        case changes([StoreChange], completion: Completion?)
        case purge(endedBefore: Timestamp, limit: Int, completion: PurgeCompletion)
        case purgeAudit(AuditClass, olderThan: Timestamp, maxBytes: Int, limit: Int, completion: PurgeCompletion)
        case purgeUsage(beforeHour: Int64, limit: Int, completion: PurgeCompletion)
        case flush(Completion)
        /// Runs alone, in a transaction of its own (`processInOrder`).
        case replicated(ReplicationJob, completion: Completion)

        /// Someone waits for this job's commit, so it must be fully durable.
        var isAwaited: Bool {
            if case .changes(_, nil) = self { return false }
            return true
        }

        /// The job adds data the store keeps (a grant, a license, a key, an audit event of
        /// its own): refused once space runs low (`SpaceReserve`). Ends, with the audit
        /// events they carry, heartbeats, deletions and purges are always tried.
        var addsData: Bool {
            guard case .changes(let changes, _) = self else { return false }
            var ends = false
            var audits = false
            for change in changes {
                switch change {
                case .putSession, .putLicense, .putTenant, .putAccessKey: return true
                case .appendAudit: audits = true
                case .endSession, .deleteLicense, .deleteTenant: ends = true
                case .refreshLease: break
                }
            }
            return audits && !ends
        }

        /// What the job was, for the log line of a refused job (kinds and keys only).
        var summary: String {
            switch self {
            case .changes(let changes, let completion):
                let shown = changes.prefix(8).map(\.logSummary).joined(separator: ", ")
                let rest = changes.count > 8 ? ", … (\(changes.count) changes)" : ""
                return (completion == nil ? "lazy " : "") + "[" + shown + rest + "]"
            case .purge: return "purge of ended sessions"
            case .purgeAudit: return "purge of audit events"
            case .purgeUsage: return "purge of usage hours"
            case .flush: return "flush"
            case .replicated(let job, _): return job.summary
            }
        }
    }

    /// `StorageOptions.lazyCommitDelay`, in seconds.
    private let lazyCommitDelay: TimeInterval

    /// Room for a batch of a few hundred callers before the queue grows.
    private static let initialQueueCapacity = 256
    private static let maximumSpareCapacity = 4_096

    private enum State {
        case running
        case draining
        case stopped
    }

    /// The writer thread's name, as `top -H` and debuggers show it.
    static let threadName = "seatd-storage"

    let environment: LMDBEnvironment
    let databases: StorageDatabases
    let replicated: ReplicatedDatabases
    let maximumMapSizeBytes: Int
    /// Writer-thread only (after `init`).
    private var reserve: SpaceReserve
    let logger: Logger
    let stats: Mutex<SeatStore.Statistics>
    private let commitObserver: SeatStore.CommitObserver?
    private let auditObserver: SeatStore.AuditObserver?

    private let condition = NSCondition()
    private var queue: [Job] = []
    /// The previous batch's emptied array, handed back as the queue so that enqueueing
    /// (under the lock) does not reallocate; writer-thread only.
    private var spareQueue: [Job] = []
    /// The thread waits on `condition` (for a first job, or for an awaited one): only
    /// then does an enqueue need to signal it.
    private var isWriterWaiting = false
    private var queueHasAwaitedJob = false
    /// Queue index of each lone lazy `refreshLease` still waiting, so a newer heartbeat
    /// of the same session replaces it instead of queueing a second write.
    private var queuedRefreshes: [SessionToken: Int] = [:]
    private var state = State.running
    private var thread: Thread?
    /// Set by `startReplicating` (once: `replicationRequested`), taken by the writer
    /// thread into `replicationMode` with the next batch.
    private var requestedReplicator: (any CommitReplicator)?
    private var replicationRequested = false
    /// Writer-thread only (after `init`); advanced only when a batch commits, so an aborted
    /// batch leaves no gap in the sequence.
    var auditKeys: AuditKeyAllocator
    /// Writer-thread only.
    var replicationMode = ReplicationMode.local
    /// The last replication batch the store holds, as in `meta`; written by the writer
    /// thread after each commit, read by any.
    let appliedSequence: Atomic<UInt64>

    init(
        environment: LMDBEnvironment, databases: StorageDatabases, options: StorageOptions, logger: Logger,
        commitObserver: SeatStore.CommitObserver? = nil, auditObserver: SeatStore.AuditObserver? = nil
    ) throws(StorageError) {
        self.commitObserver = commitObserver
        self.auditObserver = auditObserver
        self.environment = environment
        self.databases = databases
        self.maximumMapSizeBytes = options.maximumMapSizeBytes
        lazyCommitDelay = options.lazyCommitDelay.inSeconds
        reserve = SpaceReserve(
            directory: options.directory, maximumMapSizeBytes: options.maximumMapSizeBytes,
            highWaterPercent: options.highWaterPercent, diskReserveBytes: options.diskReserveBytes, logger: logger)
        // Claims the disk reserve at open, while there is room, not at the first grant.
        _ = reserve.diskRefusal(availableBytes: environment.availableDiskBytes)
        self.logger = logger
        let usage = try environment.usage()
        auditKeys = try Self.loadAuditKeys(environment, databases)
        replicated = ReplicatedDatabases(databases)
        appliedSequence = Atomic(try Self.loadAppliedSequence(environment, databases))
        stats = Mutex(SeatStore.Statistics(
            mapSizeBytes: usage.mapSizeBytes, usedBytes: usage.usedBytes, commits: 0, committedChanges: 0, lastBatchSize: 0))
        spareQueue.reserveCapacity(Self.initialQueueCapacity)
        queue.reserveCapacity(Self.initialQueueCapacity)
    }

    func start() {
        let thread = Thread { [self] in
            // Named from inside: on Linux, Foundation drops a name set before `start`
            // (and the kernel keeps 15 bytes of one).
            Thread.current.name = Self.threadName
            run()
        }
        condition.lock()
        self.thread = thread
        condition.unlock()
        thread.start()
    }

    /// Map size and bytes used are read now (a metrics scrape), not after every commit;
    /// once the store is closed, the last values read.
    var statistics: SeatStore.Statistics {
        let usage = try? environment.usage()
        return stats.withLock { stats in
            if let usage {
                stats.mapSizeBytes = usage.mapSizeBytes
                stats.usedBytes = usage.usedBytes
            }
            return stats
        }
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
        await purge { .purge(endedBefore: cutoff, limit: limit, completion: $0) }
    }

    func purgeAudit(_ auditClass: AuditClass, olderThan cutoff: Timestamp, maxBytes: Int, limit: Int) async -> Result<Int, StorageError> {
        await purge { .purgeAudit(auditClass, olderThan: cutoff, maxBytes: maxBytes, limit: limit, completion: $0) }
    }

    func purgeUsageHours(before hour: Int64, limit: Int) async -> Result<Int, StorageError> {
        await purge { .purgeUsage(beforeHour: hour, limit: limit, completion: $0) }
    }

    /// Enqueues the purge job `job` makes and returns how many it deleted.
    private func purge(_ job: (@escaping PurgeCompletion) -> Job) async -> Result<Int, StorageError> {
        await withCheckedContinuation { continuation in
            if !enqueue(job { continuation.resume(returning: $0) }) {
                continuation.resume(returning: .failure(.closed))
            }
        }
    }

    /// Applies batches of the shared log, or a snapshot of it, as a job of its own.
    func replay(_ job: ReplicationJob) async -> Result<Void, StorageError> {
        await withCheckedContinuation { continuation in
            if !enqueue(.replicated(job, completion: { continuation.resume(returning: $0) })) {
                continuation.resume(returning: .failure(.closed))
            }
        }
    }

    /// Every batch taken after this call is replicated (`StorageWriter+Replication`).
    func startReplicating(to replicator: any CommitReplicator) throws(StorageError) {
        condition.lock()
        defer { condition.unlock() }
        guard state == .running else { throw .closed }
        guard !replicationRequested else { throw .replication("this store replicates its commits already") }
        replicationRequested = true
        requestedReplicator = replicator
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
        // awaited job: only those two moments need a signal, and only if it is waiting.
        if isWriterWaiting && (queue.isEmpty || (job.isAwaited && !queueHasAwaitedJob)) { condition.signal() }
        if job.isAwaited { queueHasAwaitedJob = true }
        queue.append(job)
    }

    // MARK: Writer thread

    /// Jobs of a batch refused for a fault of their own (`StorageError.isCausedByChange`),
    /// by their index in the batch, with that fault.
    private typealias Rejections = [Int: StorageError]

    private func run() {
        // Failure of a batch that held lazy changes, reported to the next flush.
        var lazyFailure: StorageError?
        while var batch = nextBatch() {
            processInOrder(batch[...], lazyFailure: &lazyFailure)
            // Releases the jobs (their changes and completions) here, not under the lock;
            // the array of an unusually large batch (a drain, a heartbeat storm) is let go.
            batch.removeAll(keepingCapacity: batch.capacity <= Self.maximumSpareCapacity)
            spareQueue = batch
        }
        condition.lock()
        state = .stopped
        condition.broadcast()
        condition.unlock()
    }

    private func nextBatch() -> [Job]? {
        var batch: [Job] = []
        swap(&batch, &spareQueue)
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && state == .running {
            isWriterWaiting = true
            condition.wait()
            isWriterWaiting = false
        }
        if queue.isEmpty { return nil }
        if !queueHasAwaitedJob && state == .running {
            let deadline = Date(timeIntervalSinceNow: lazyCommitDelay)
            isWriterWaiting = true
            while !queueHasAwaitedJob && state == .running && condition.wait(until: deadline) {}
            isWriterWaiting = false
        }
        swap(&batch, &queue)
        queueHasAwaitedJob = false
        if let replicator = requestedReplicator {
            requestedReplicator = nil
            replicationMode = .replicating(replicator)
        }
        if !queuedRefreshes.isEmpty { queuedRefreshes.removeAll(keepingCapacity: true) }
        return batch
    }

    /// Processes the batch in queue order: a replication job alone, in a transaction of its
    /// own (it must follow the applied sequence exactly, or replaces the whole store), the
    /// jobs between them as group commits.
    private func processInOrder(_ batch: ArraySlice<Job>, lazyFailure: inout StorageError?) {
        var start = batch.startIndex
        for index in batch.indices {
            guard case .replicated(let job, let completion) = batch[index] else { continue }
            if start < index { process(batch[start..<index], rejected: [:], lazyFailure: &lazyFailure) }
            completion(run(job))
            start = index + 1
        }
        if start < batch.endIndex { process(batch[start...], rejected: [:], lazyFailure: &lazyFailure) }
    }

    /// Commits `batch` but its `rejected` jobs, then completes every job of it.
    ///
    /// A job whose own change fails (a value LMDB refuses, a stored record that does not
    /// decode) is rejected alone: the aborted transaction is retried without it, so the
    /// other callers commit in FIFO order and each job stays atomic. `apply` names the
    /// failing job, so isolating it costs one aborted attempt, not a search. Jobs that add
    /// data are refused alone, as `.full`, while space is low (`SpaceReserve`), and the rest
    /// commits. Any other failure of the whole store (I/O, or a full map or disk even
    /// without the adding jobs) fails every job of the batch.
    private func process(_ batch: ArraySlice<Job>, rejected: Rejections, lazyFailure: inout StorageError?) {
        var rejected = rejected
        while true {
            let shape = BatchShape(batch, skipping: rejected)
            var outcome = Result<Applied, BatchFailure>.success(Applied())
            let started = ContinuousClock.now
            if shape.needsTransaction {
                outcome = commitGrowingMap(batch, skipping: rejected, hasAddingJob: shape.hasAddingJob, syncMetaPage: shape.hasAwaitedJob)
            }
            switch outcome {
            case .failure(let failure):
                if let job = failure.job, failure.error.isCausedByChange {
                    logger.error("storage change refused; its caller alone fails, the rest of its batch is retried", metadata: [
                        "error": "\(failure.error)", "job": "\(batch[job].summary)",
                    ])
                    rejected[job] = failure.error
                    continue
                }
                if failure.error.isTransactionFull || failure.error.isFull, shape.jobs > 1 {
                    // Too many dirty pages for one transaction, or for the space left (a
                    // transaction needs fresh pages for every page it changes, and a smaller
                    // one changes fewer): commit the halves separately. Each job stays
                    // atomic, and FIFO order is kept.
                    let middle = batch.startIndex + batch.count / 2
                    process(batch[..<middle], rejected: rejected, lazyFailure: &lazyFailure)
                    process(batch[middle...], rejected: rejected, lazyFailure: &lazyFailure)
                    return
                }
                logger.error("storage batch failed; nothing of it was stored", metadata: [
                    "error": "\(failure.error)", "jobs": "\(shape.jobs)", "changes": "\(shape.changes)",
                ])
            case .success(let applied):
                rejected.merge(applied.refused) { first, _ in first }
                let stored = applied.refused.isEmpty ? shape : BatchShape(batch, skipping: rejected)
                if shape.hasAddingJob {
                    reserve.note(refusal: applied.refusal, refused: applied.refused.count)
                }
                if stored.needsTransaction {
                    commitObserver?(stored.changes, ContinuousClock.now - started)
                }
                stats.withLock { stats in
                    if stored.needsTransaction {
                        stats.commits += 1
                        stats.committedChanges += stored.changes
                        stats.lastBatchSize = stored.changes
                    }
                    stats.refusingAddingWrites = reserve.isRefusing
                    stats.refusedAddingWrites = reserve.refusedJobs
                }
            }
            complete(batch, outcome.map(\.purged).mapError(\.error), rejected: rejected, lazyFailure: &lazyFailure)
            if case .success = outcome, let auditObserver {
                // After the callers are answered: the observer (the log) never delays an ack.
                let stored = batch.indices.filter { rejected[$0] == nil }.flatMap { index -> [AuditEvent] in
                    guard case .changes(let changes, _) = batch[index] else { return [] }
                    return changes.compactMap { if case .appendAudit(let event) = $0 { event } else { nil } }
                }
                if !stored.isEmpty { auditObserver(stored) }
            }
            return
        }
    }

    /// What a committed attempt did: the number purged by each purge job, and the adding
    /// jobs refused for lack of space (by index in the batch), with the first reason.
    private struct Applied {
        var purged: [Int: Int] = [:]
        var refused: Rejections = [:]
        var refusal: String?
    }

    /// What a batch holds once its rejected jobs are left out.
    private struct BatchShape {
        var jobs = 0
        var changes = 0
        var needsTransaction = false
        var hasAwaitedJob = false
        var hasAddingJob = false

        init(_ batch: ArraySlice<Job>, skipping rejected: Rejections) {
            for index in batch.indices where rejected.isEmpty || rejected[index] == nil {
                let job = batch[index]
                jobs += 1
                hasAwaitedJob = hasAwaitedJob || job.isAwaited
                hasAddingJob = hasAddingJob || job.addsData
                switch job {
                case .changes(let jobChanges, _):
                    changes += jobChanges.count
                    needsTransaction = needsTransaction || !jobChanges.isEmpty
                case .purge, .purgeAudit, .purgeUsage: needsTransaction = true
                case .flush, .replicated: break
                }
            }
        }
    }

    /// `outcome` holds the number purged by each purge job, by index in the batch.
    private func complete(_ batch: ArraySlice<Job>, _ outcome: Result<[Int: Int], StorageError>, rejected: Rejections, lazyFailure: inout StorageError?) {
        let batchFailure: StorageError? = if case .failure(let error) = outcome { error } else { nil }
        for index in batch.indices {
            let jobFailure = rejected.isEmpty ? batchFailure : rejected[index] ?? batchFailure
            switch batch[index] {
            case .changes(_, let completion?), .replicated(_, let completion):
                if let jobFailure { completion(.failure(jobFailure)) } else { completion(.success(())) }
            case .changes(_, nil):
                if let jobFailure { lazyFailure = jobFailure }
            case .purge(_, _, let completion), .purgeAudit(_, _, _, _, let completion), .purgeUsage(_, _, let completion):
                if let jobFailure { completion(.failure(jobFailure)) } else { completion(outcome.map { $0[index] ?? 0 }) }
            case .flush(let completion):
                if let error = jobFailure ?? lazyFailure {
                    completion(.failure(error))
                } else {
                    completion(.success(()))
                }
                lazyFailure = nil
            }
        }
    }

    /// A failed attempt to commit a batch; `job` is the index of the job whose change
    /// raised `error`, nil when the failure came from outside any job (begin, commit).
    private struct BatchFailure: Error {
        var error: StorageError
        var job: Int?
    }

    /// Commits the batch, doubling the map on `MDB_MAP_FULL` (up to the maximum) and
    /// retrying it: the failed attempt was aborted, so nothing of it is stored.
    /// A batch of lazy changes only skips the meta-page sync (see `LMDBEnvironment.write`).
    ///
    /// When the map is at its maximum or the disk is full, the batch is retried without its
    /// adding jobs (after releasing the disk reserve, if it is still there), so the ends in
    /// it are stored whenever there is any room for them.
    ///
    /// While the store replicates, each attempt records its writes, and the one that will
    /// commit (the last step before the commit) sends them to the replicator
    /// (`StorageWriter+Replication`).
    private func commitGrowingMap(_ batch: ArraySlice<Job>, skipping rejected: Rejections, hasAddingJob: Bool, syncMetaPage: Bool) -> Result<Applied, BatchFailure> {
        if let refusal = replicationMode.refusal {
            return .failure(BatchFailure(error: refusal))
        }
        var forcedRefusal: String?
        while true {
            var failedJob: Int?
            var space = SpaceCheck(refusal: forcedRefusal)
            if hasAddingJob && space.refusal == nil {
                space.refusal = reserve.diskRefusal(availableBytes: environment.availableDiskBytes)
            }
            let recorder = replicationMode.isReplicating ? WriteRecorder() : nil
            do throws(StorageError) {
                var keys = auditKeys
                let applied = try environment.write(syncMetaPage: syncMetaPage, recorder: recorder) { txn throws(StorageError) in
                    let applied = try apply(batch, skipping: rejected, txn, &keys, space: &space, failedJob: &failedJob)
                    if let recorder { try replicate(recorder, txn) }
                    return applied
                }
                auditKeys = keys
                if let sequence = recorder?.replicatedSequence { appliedSequence.store(sequence, ordering: .releasing) }
                return .success(applied)
            } catch where recorder?.replicatedSequence != nil {
                return .failure(BatchFailure(error: fallBehind(committing: error)))
            } catch where error.isMapFull {
                do throws(StorageError) {
                    guard try growMap() else {
                        let reason = "map size limit of \(maximumMapSizeBytes) bytes reached"
                        if space.admittedAddingJob {
                            forcedRefusal = reason
                            continue
                        }
                        return .failure(BatchFailure(error: .full(reason)))
                    }
                } catch {
                    return .failure(BatchFailure(error: error))
                }
            } catch {
                var failure = error
                // A short write on a file system that is (nearly) out of space is a full
                // disk, not a failing one: report it as such so operators see the real cause.
                if error.isInputOutputError, let available = environment.availableDiskBytes, available < Self.nearlyFullDiskBytes {
                    failure = .full("no space left on the file system (\(available) bytes available)")
                }
                guard case .full(let reason) = failure else {
                    return .failure(BatchFailure(error: failure, job: error.isInputOutputError ? nil : failedJob))
                }
                if reserve.release() {
                    continue
                }
                if space.admittedAddingJob {
                    forcedRefusal = reason
                    continue
                }
                return .failure(BatchFailure(error: failure))
            }
        }
    }

    private static let nearlyFullDiskBytes = 1 << 20

    /// Doubles the map, up to the maximum; false when it is at the maximum already.
    func growMap() throws(StorageError) -> Bool {
        let current = try environment.usage().mapSizeBytes
        guard current < maximumMapSizeBytes else { return false }
        let next = min(current * 2, maximumMapSizeBytes)
        try environment.setMapSize(next)
        stats.withLock { $0.mapSizeBytes = next }
        logger.info("storage map grown", metadata: ["from": "\(current)", "to": "\(next)"])
        return true
    }

    /// Whether the attempt may store adding jobs; filled in while applying it.
    private struct SpaceCheck {
        /// Set: every adding job is refused with it (the disk, or a failed attempt).
        var refusal: String?
        var refused: Rejections = [:]
        var admittedAddingJob = false
    }

    /// Applies every job but the rejected ones, in order; returns the number purged by
    /// each purge job. `failedJob` is left at the job being applied when one throws.
    private func apply(
        _ batch: ArraySlice<Job>,
        skipping rejected: Rejections,
        _ txn: borrowing LMDBTransaction,
        _ auditKeys: inout AuditKeyAllocator,
        space: inout SpaceCheck,
        failedJob: inout Int?
    ) throws(StorageError) -> Applied {
        let sequenceBefore = auditKeys.lastSequence
        var purged: [Int: Int] = [:]
        for index in batch.indices where rejected.isEmpty || rejected[index] == nil {
            failedJob = index
            if batch[index].addsData {
                // Checked before each adding job, so a large batch stops at the mark too.
                var refusal = space.refusal
                if refusal == nil {
                    refusal = reserve.mapRefusal(bytesInUse: try txn.bytesInUse(databases.all), liveSessions: try txn.count(databases.sessions))
                }
                if let refusal {
                    space.refusal = space.refusal ?? refusal
                    space.refused[index] = .full(refusal)
                    continue
                }
                space.admittedAddingJob = true
            }
            switch batch[index] {
            case .changes(let changes, _):
                for change in changes {
                    try apply(change, txn, &auditKeys)
                }
            case .purge(let cutoff, let limit, _):
                purged[index] = try purgeEndedSessions(endedBefore: cutoff, limit: limit, txn)
            case .purgeAudit(let auditClass, let cutoff, let maxBytes, let limit, _):
                purged[index] = try purgeAudit(databases.audit[auditClass], olderThan: cutoff, maxBytes: maxBytes, limit: limit, txn)
            case .purgeUsage(let hour, let limit, _):
                purged[index] = try purgeUsageHours(before: hour, limit: limit, txn)
            case .flush, .replicated:
                break
            }
        }
        failedJob = nil
        if auditKeys.lastSequence != sequenceBefore {
            try RecordCodec.auditSequenceKey.withBytes { key throws(StorageError) in
                try RecordCodec.encodeSequence(auditKeys.lastSequence).withBytes { value throws(StorageError) in
                    try txn.put(databases.meta, key, value)
                }
            }
        }
        return Applied(purged: purged, refused: space.refused, refusal: space.refusal)
    }
}
