import Logging
import NIOCore
import SeatCore
import SeatProtocol
import SeatStorage

/// The live seats of one license. The actor runs on one NIO event loop (its executor), so
/// a request arriving on an event loop is answered without a task: it hops to the
/// license's loop (or runs at once when already there), `SeatLedger` takes every decision
/// synchronously, the commit goes to the storage writer, and its completion hops back to
/// the loop to confirm or abort. Interleaved requests can never oversubscribe the license.
/// Admin paths `await` the same methods.
actor LicenseActor {
    typealias Completion<Success> = @Sendable (Result<Success, SeatFailure>) -> Void

    nonisolated let key: String
    /// Fixed for the actor's life: a license moved to another tenant gets a new actor
    /// (its sessions end), so no request can straddle the move.
    nonisolated let tenant: String
    nonisolated let eventLoop: any EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }

    var ledger: SeatLedger
    let store: any SeatCommits
    let directory: SessionDirectory
    let livePolicy: LiveValue<LeasePolicy>
    /// The site's policy file in force (replaced by a reload); judged at every new grant.
    let sitePolicy: LiveValue<SitePolicy>
    let clock: any ServerClock
    let logger: Logger
    /// Where news of a wait goes: the waiting connection (`LicenseActor+Queue.swift`).
    let connections: ConnectionDirectory
    /// Each waiter's place as last told to it, so only changes are pushed.
    var announcedPositions: [WaiterID: Int] = [:]
    /// Told how long each granted waiter waited.
    let waitObserver: @Sendable (_ waited: Duration, _ license: License) -> Void
    /// Set once the license is deleted: an acquire that found this actor just before the
    /// deletion must not grant a seat of a license that no longer exists.
    var retired = false
    /// Re-acquires of a holder whose grant is still being committed, answered once the
    /// granting request has confirmed or aborted it.
    private var grantOutcomeWaiters: [SessionToken: [Reattach]] = [:]
    /// Who revoked the sessions whose end awaits a retry, for the retried audit event.
    private var deferredRevokers: [SessionToken: String] = [:]
    /// Ends `endAll` has yet to commit (their chunk is not done), and the heartbeats
    /// waiting for them: answered once that chunk is stored or has failed, as a heartbeat
    /// arriving during a single end's commit is.
    private var queuedEnds: Set<SessionToken> = []
    private var queuedEndWaiters: [SessionToken: [(attempt: Int, completion: Completion<Session>)]] = [:]

    private struct Reattach {
        let request: SeatRequest
        let waiting: QueueRequest?
        let attempt: Int
        let completion: Completion<AcquireOutcome>
    }

    init(
        ledger: SeatLedger, eventLoop: any EventLoop, store: any SeatCommits, directory: SessionDirectory, policy: LiveValue<LeasePolicy>,
        sitePolicy: LiveValue<SitePolicy>, clock: any ServerClock, connections: ConnectionDirectory,
        waitObserver: @escaping @Sendable (_ waited: Duration, _ license: License) -> Void = { _, _ in }, logger: Logger
    ) {
        self.key = ledger.license.key
        self.tenant = ledger.license.tenant
        self.eventLoop = eventLoop
        self.ledger = ledger
        self.store = store
        self.directory = directory
        self.livePolicy = policy
        self.sitePolicy = sitePolicy
        self.clock = clock
        self.connections = connections
        self.waitObserver = waitObserver
        self.logger = logger
        directory.register(ledger.sessions.map(\.token), owner: self)
    }

    /// Runs `body` on the actor: at once when the caller is on the license's loop,
    /// otherwise as the loop's next task. Never suspends.
    nonisolated func onLoop(_ body: @escaping @Sendable (isolated LicenseActor) -> Void) {
        if eventLoop.inEventLoop {
            assumeIsolated(body)
        } else {
            eventLoop.execute { self.assumeIsolated(body) }
        }
    }

    /// `body`'s result, for callers that may suspend (admin paths, the sweep).
    nonisolated func awaiting<Success: Sendable>(_ body: @escaping @Sendable (isolated LicenseActor, @escaping @Sendable (Success) -> Void) -> Void) async -> Success {
        await withCheckedContinuation { continuation in
            onLoop { actor in body(actor, { continuation.resume(returning: $0) }) }
        }
    }

    var snapshot: LicenseSnapshot { LicenseSnapshot(license: ledger.license, seatsInUse: ledger.seatsInUse, waiting: ledger.queue.count) }

    /// Sessions holding a seat now (live, or being ended but not yet committed).
    var liveSessions: [Session] { ledger.sessions.filter { ledger.phase(of: $0.token) != .pending } }

    /// Whether any session still holds a seat (a retired actor is swept until none does).
    var holdsSessions: Bool { !ledger.isEmpty }

    // MARK: Acquire

    func acquire(_ request: SeatRequest, completion: @escaping Completion<AcquireSuccess>) {
        acquire(request, waiting: nil, attempt: 1) { result in
            completion(result.map { outcome in
                guard case .acquired(let success) = outcome else { preconditionFailure("an acquire that does not wait is never queued") }
                return success
            })
        }
    }

    /// An acquire that waits in the queue when no seat can be granted (protocol-spec.md 9a).
    func acquire(_ request: SeatRequest, waiting: QueueRequest, completion: @escaping Completion<AcquireOutcome>) {
        acquire(request, waiting: waiting, attempt: 1, completion: completion)
    }

    private func acquire(_ request: SeatRequest, waiting: QueueRequest?, attempt: Int, completion: @escaping Completion<AcquireOutcome>) {
        guard !retired else { return completion(.failure(.unknownLicense)) }
        let rules = sitePolicy.value.rules(for: ledger.license)
        let decision = ledger.acquire(request, now: clock.now(), policy: livePolicy.value, rules: rules, waiting: waiting) { SessionToken.fromSystemRandom() }
        switch decision {
        case .refused(let refusal):
            completion(.failure(SeatFailure(refusal)))
            // Refused because a waiter could take the seat: give it to them.
            serveQueue()

        case .attached(let session, durable: true) where session.isBorrowed:
            completion(.success(.acquired(success(session, reattached: true))))

        case .attached(let session, durable: true):
            store.commitLazily([.refreshLease(token: session.token, lastHeartbeatAt: session.lastHeartbeatAt, leaseExpiresAt: session.leaseExpiresAt)])
            completion(.success(.acquired(success(session, reattached: true))))

        case .attached(let session, durable: false):
            // Its grant is still being committed by another request: answer once that
            // request has confirmed (or aborted) it.
            grantOutcomeWaiters[session.token, default: []].append(Reattach(request: request, waiting: waiting, attempt: attempt, completion: completion))

        case .granted(let session, let reclaimed):
            commitGrant(session, reclaimed: reclaimed) { actor, result in
                actor.finishGrant(session, reclaimed: reclaimed.map(\.token), result, completion: completion)
            }

        case .queued(let position, let replacing):
            announcedPositions[waiting!.id] = position
            if let replacing { endWaits([replacing], reason: .superseded, message: "the same user and workstation queued again") }
            completion(.success(.queued(place(position))))
            serveQueue()
        }
    }

    /// Stores a grant and the end of the lapsed sessions it reclaims, then calls `finish`
    /// on the actor.
    func commitGrant(_ session: Session, reclaimed: [Session], finish: @escaping @Sendable (isolated LicenseActor, Result<Void, StorageError>) -> Void) {
        var changes: [StoreChange] = [.putSession(session), .appendAudit(.grant(session, tenant: tenant, overage: ledger.isOverage(session.token)))]
        for lapsed in reclaimed {
            changes.append(.endSession(EndedSession(token: lapsed.token, licenseKey: key, tenant: tenant, end: .expired, endedAt: session.createdAt)))
            changes.append(.appendAudit(.expiry(lapsed, tenant: tenant, at: session.createdAt)))
        }
        store.commit(changes) { result in
            self.onLoop { finish($0, result) }
        }
    }

    private func finishGrant(_ session: Session, reclaimed: [SessionToken], _ result: Result<Void, StorageError>, completion: Completion<AcquireOutcome>) {
        switch result {
        case .failure(let error):
            ledger.abortGrant(session.token, reclaimed: reclaimed)
            logger.warning("acquire not stored", metadata: ["license": "\(key)", "error": "\(error)"])
            answerReattaches(session.token)
            completion(.failure(.storage(error)))
        case .success:
            settleGrant(session, reclaimed: reclaimed)
            var granted = success(session, reattached: false)
            granted.reclaimed = reclaimed
            completion(.success(.acquired(granted)))
        }
    }

    /// A grant is stored: the session is live, the sessions it reclaimed are gone.
    func settleGrant(_ session: Session, reclaimed: [SessionToken]) {
        ledger.confirmGrant(session.token, reclaimed: reclaimed)
        directory.remove(reclaimed)
        directory.register([session.token], owner: self)
        answerReattaches(session.token)
        // Under user or host counting a live seat can be shared: a waiter of the same user
        // (or host) takes no seat and waits no more.
        if ledger.license.seatCounting != .session { serveQueue() }
    }

    func answerReattaches(_ token: SessionToken) {
        for waiter in grantOutcomeWaiters.removeValue(forKey: token) ?? [] {
            if ledger.phase(of: token) == .live, let current = ledger.session(token) {
                waiter.completion(.success(.acquired(success(current, reattached: true))))
            } else if waiter.attempt < 3 {
                // The session it attached to was released meanwhile, or its grant failed.
                // Nothing was promised to this caller yet: decide again as if it arrived now.
                acquire(waiter.request, waiting: waiter.waiting, attempt: waiter.attempt + 1, completion: waiter.completion)
            } else {
                waiter.completion(.failure(.storage(.io(code: 0, "the session's grant was not stored"))))
            }
        }
    }

    // MARK: Heartbeat

    /// Extends a live session's lease. A session found lapsed is expired durably before
    /// the holder hears `sessionExpired`, and a session whose end is being committed is
    /// answered once that end is durable: nobody is told of an end a restart could undo.
    func heartbeat(_ token: SessionToken, completion: @escaping Completion<Session>) {
        heartbeat(token, attempt: 1, completion: completion)
    }

    private func heartbeat(_ token: SessionToken, attempt: Int, completion: @escaping Completion<Session>) {
        let now = clock.now()
        switch ledger.heartbeat(token, now: now, policy: livePolicy.value) {
        case .extended(let session, let stored):
            if stored {
                store.commitLazily([.refreshLease(token: token, lastHeartbeatAt: session.lastHeartbeatAt, leaseExpiresAt: session.leaseExpiresAt)])
            }
            completion(.success(session))
        case .refused(let refusal):
            completion(.failure(SeatFailure(refusal)))
        case .expiring(let session):
            endAll([(session, .expired)], at: now) { _, failure in
                if let failure {
                    completion(.failure(.storage(failure)))
                } else {
                    completion(.failure(.sessionEnded(.expired)))
                }
            }
        case .awaitingEnd where queuedEnds.contains(token):
            queuedEndWaiters[token, default: []].append((attempt, completion))
        case .awaitingEnd(let end):
            // An empty commit completes after every commit queued before it, the end's too.
            store.commit([]) { result in
                self.onLoop { actor in
                    switch actor.ledger.phase(of: token) {
                    case nil:
                        completion(.failure(.sessionEnded(end)))
                    case .ending:
                        // Its commit failed and waits for the next sweep: not durable yet.
                        var error = StorageError.io(code: 0, "the session's end is not stored yet; try again")
                        if case .failure(let failure) = result { error = failure }
                        completion(.failure(.storage(error)))
                    case .live, .pending:
                        // A release in flight failed and the session goes on: decide again.
                        guard attempt < 3 else { return completion(.failure(.storage(.io(code: 0, "the session's end was not stored")))) }
                        actor.heartbeat(token, attempt: attempt + 1, completion: completion)
                    }
                }
            }
        }
    }

    // MARK: Ending sessions

    /// Ends one session: a release by its holder, or a force-release (`.revoked`) by
    /// `administrator`. The seat is freed only once the end (and its audit event) is
    /// durable; a failed commit is reported and the session goes on (the requester may
    /// try again).
    func end(_ token: SessionToken, reason: SessionEnd, by administrator: String = "", completion: @escaping Completion<ReleaseSuccess>) {
        switch ledger.beginEnd(token, reason: reason) {
        case .unknownSession:
            completion(.failure(.unknownSession))
        case .alreadyEnding:
            // Answer once the end in flight is durable: an empty commit completes after
            // every commit queued before it.
            store.commit([]) { result in
                self.onLoop { actor in
                    completion(result.map { actor.releaseSuccess(ended: false) }.mapError { .storage($0) })
                }
            }
        case .ending(let session):
            let ended = EndedSession(token: token, licenseKey: key, tenant: tenant, end: reason, endedAt: clock.now())
            let event: AuditEvent = reason == .revoked
                ? .forceRelease(session, tenant: tenant, by: administrator, at: ended.endedAt)
                : .release(session, tenant: tenant, at: ended.endedAt)
            store.commit([.endSession(ended), .appendAudit(event)]) { result in
                self.onLoop { actor in
                    switch result {
                    case .failure(let error):
                        actor.ledger.abortEnd([token])
                        completion(.failure(.storage(error)))
                    case .success:
                        actor.ledger.finishEnd([token])
                        actor.directory.remove([token])
                        completion(.success(actor.releaseSuccess(ended: true)))
                        actor.serveQueue()
                    }
                }
            }
        }
    }

    /// One sweep of this license: commits again the ends that failed before, and reclaims
    /// every seat whose lease has run out at `now`. Completes with the ends now durable.
    func sweep(now: Timestamp, completion: @escaping @Sendable ([(token: SessionToken, end: SessionEnd)]) -> Void) {
        sweepQueue(now: now)
        let ends = ledger.retryEnds() + ledger.beginExpiry(now: now).map { (session: $0, end: SessionEnd.expired) }
        endAll(ends, at: now) { ended, _ in
            // Also after grants that failed to store since the last sweep.
            self.onLoop { $0.serveQueue() }
            completion(ended)
        }
    }

    /// Retires the actor and ends every session: the license was deleted (or moved to
    /// another tenant) by `administrator`. Completes with the sessions ended durably.
    func retire(by administrator: String, completion: @escaping @Sendable ([SessionToken]) -> Void) {
        retired = true
        endAllWaits(.unknownLicense)
        revokeAll(by: administrator, completion: completion)
    }

    /// Ends every session as revoked (the license was revoked). Completes with the
    /// sessions ended durably.
    func revokeAll(by administrator: String, completion: @escaping @Sendable ([SessionToken]) -> Void) {
        endAllWaits(.license(.revoked))
        let sessions = ledger.beginEndAll(reason: .revoked)
        for session in sessions { deferredRevokers[session.token] = administrator }
        endAll(sessions.map { ($0, .revoked) }, at: clock.now()) { ended, _ in completion(ended.map(\.token)) }
    }

    func update(_ license: License) {
        ledger.updateLicense(license)
        if let refusal = license.refusal(at: clock.now()) {
            endAllWaits(.license(refusal))
        } else {
            serveQueue()  // it may have more seats
        }
    }

    /// Sessions ended per storage commit when the server ends many at once (a sweep after
    /// an outage, a revoked license): each commit stays small, so one that fails does not
    /// take the others with it, and a disk that just got space back is not refilled by one
    /// huge transaction.
    static let endsPerCommit = 256

    /// Commits ends the server decided, `endsPerCommit` at a time, one commit after the
    /// other. A failed commit does not undo them: that chunk and the ones not tried yet
    /// stay ending (seats taken, heartbeats refused) and the next sweep retries them
    /// (`SeatLedger.deferEnd`). Completes with the ends now durable and the failure, if any.
    private func endAll(
        _ ends: [(session: Session, end: SessionEnd)], at now: Timestamp,
        completion: @escaping @Sendable (_ ended: [(token: SessionToken, end: SessionEnd)], _ failure: StorageError?) -> Void
    ) {
        queuedEnds.formUnion(ends.map(\.session.token))
        endChunks(ends[...], at: now, ended: [], completion: completion)
    }

    /// The chunk holding `tokens` is stored or has failed: heartbeats waiting for them
    /// decide again.
    private func settleQueuedEnds(_ tokens: [SessionToken]) {
        for token in tokens {
            queuedEnds.remove(token)
            for waiter in queuedEndWaiters.removeValue(forKey: token) ?? [] {
                heartbeat(token, attempt: waiter.attempt, completion: waiter.completion)
            }
        }
    }

    private func endChunks(
        _ remaining: ArraySlice<(session: Session, end: SessionEnd)>, at now: Timestamp, ended: [(token: SessionToken, end: SessionEnd)],
        chunkSize: Int = endsPerCommit,
        completion: @escaping @Sendable (_ ended: [(token: SessionToken, end: SessionEnd)], _ failure: StorageError?) -> Void
    ) {
        guard !remaining.isEmpty else { return completion(ended, nil) }
        let chunk = remaining.prefix(chunkSize)
        var changes: [StoreChange] = []
        changes.reserveCapacity(chunk.count * 2)
        for (session, end) in chunk {
            changes.append(.endSession(EndedSession(token: session.token, licenseKey: key, tenant: tenant, end: end, endedAt: now)))
            changes.append(.appendAudit(end == .revoked
                ? .forceRelease(session, tenant: tenant, by: deferredRevokers[session.token] ?? "", at: now)
                : .expiry(session, tenant: tenant, at: now)))
        }
        let committed = chunk.map { (token: $0.session.token, end: $0.end) }
        let tokens = committed.map(\.token)
        store.commit(changes) { result in
            self.onLoop { actor in
                switch result {
                case .failure(.full) where chunk.count > 1:
                    // A transaction needs fresh pages for every page it changes: on a full
                    // disk a smaller one may fit where this did not (and frees pages for
                    // the next). Halve it down to one session before giving up.
                    actor.endChunks(remaining, at: now, ended: ended, chunkSize: chunk.count / 2, completion: completion)
                case .failure(let error):
                    let deferred = remaining.map(\.session.token)
                    actor.ledger.deferEnd(deferred)
                    actor.settleQueuedEnds(deferred)
                    actor.logger.warning("ending sessions not stored; the next sweep retries", metadata: [
                        "license": "\(actor.key)", "sessions": "\(deferred.count)", "stored": "\(ended.count)", "error": "\(error)",
                    ])
                    completion(ended, error)
                case .success:
                    actor.ledger.finishEnd(tokens)
                    actor.directory.remove(tokens)
                    for token in tokens { actor.deferredRevokers[token] = nil }
                    actor.settleQueuedEnds(tokens)
                    actor.serveQueue()
                    actor.endChunks(remaining.dropFirst(chunk.count), at: now, ended: ended + committed, chunkSize: chunkSize, completion: completion)
                }
            }
        }
    }

    private func releaseSuccess(ended: Bool) -> ReleaseSuccess {
        ReleaseSuccess(ended: ended, seatsTotal: ledger.seatsTotal, seatsInUse: ledger.seatsInUse)
    }

    func success(_ session: Session, reattached: Bool) -> AcquireSuccess {
        AcquireSuccess(
            session: session, reattached: reattached, license: ledger.license, seatsInUse: ledger.seatsInUse,
            overage: ledger.isOverage(session.token))
    }
}
