import Logging
import NIOCore
import SeatCore
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

    private var ledger: SeatLedger
    private let store: any SeatCommits
    private let directory: SessionDirectory
    private let livePolicy: LiveValue<LeasePolicy>
    /// The site's policy file in force (replaced by a reload); judged at every new grant.
    private let sitePolicy: LiveValue<SitePolicy>
    private let clock: any ServerClock
    private let logger: Logger
    /// Set once the license is deleted: an acquire that found this actor just before the
    /// deletion must not grant a seat of a license that no longer exists.
    private var retired = false
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
        let attempt: Int
        let completion: Completion<AcquireSuccess>
    }

    init(ledger: SeatLedger, eventLoop: any EventLoop, store: any SeatCommits, directory: SessionDirectory, policy: LiveValue<LeasePolicy>, sitePolicy: LiveValue<SitePolicy>, clock: any ServerClock, logger: Logger) {
        self.key = ledger.license.key
        self.tenant = ledger.license.tenant
        self.eventLoop = eventLoop
        self.ledger = ledger
        self.store = store
        self.directory = directory
        self.livePolicy = policy
        self.sitePolicy = sitePolicy
        self.clock = clock
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

    var snapshot: LicenseSnapshot { LicenseSnapshot(license: ledger.license, seatsInUse: ledger.seatsInUse) }

    /// Sessions holding a seat now (live, or being ended but not yet committed).
    var liveSessions: [Session] { ledger.sessions.filter { ledger.phase(of: $0.token) != .pending } }

    /// Whether any session still holds a seat (a retired actor is swept until none does).
    var holdsSessions: Bool { !ledger.isEmpty }

    // MARK: Acquire

    func acquire(_ request: SeatRequest, completion: @escaping Completion<AcquireSuccess>) {
        acquire(request, attempt: 1, completion: completion)
    }

    private func acquire(_ request: SeatRequest, attempt: Int, completion: @escaping Completion<AcquireSuccess>) {
        guard !retired else { return completion(.failure(.unknownLicense)) }
        let rules = sitePolicy.value.rules(for: ledger.license)
        let decision = ledger.acquire(request, now: clock.now(), policy: livePolicy.value, rules: rules) { SessionToken.fromSystemRandom() }
        switch decision {
        case .refused(let refusal):
            completion(.failure(SeatFailure(refusal)))

        case .attached(let session, durable: true) where session.isBorrowed:
            completion(.success(success(session, reattached: true)))

        case .attached(let session, durable: true):
            store.commitLazily([.refreshLease(token: session.token, lastHeartbeatAt: session.lastHeartbeatAt, leaseExpiresAt: session.leaseExpiresAt)])
            completion(.success(success(session, reattached: true)))

        case .attached(let session, durable: false):
            // Its grant is still being committed by another request: answer once that
            // request has confirmed (or aborted) it.
            grantOutcomeWaiters[session.token, default: []].append(Reattach(request: request, attempt: attempt, completion: completion))

        case .granted(let session, let reclaimed):
            var changes: [StoreChange] = [.putSession(session), .appendAudit(.grant(session, tenant: tenant, overage: ledger.isOverage(session.token)))]
            for lapsed in reclaimed {
                changes.append(.endSession(EndedSession(token: lapsed.token, licenseKey: key, tenant: tenant, end: .expired, endedAt: session.createdAt)))
                changes.append(.appendAudit(.expiry(lapsed, tenant: tenant, at: session.createdAt)))
            }
            let reclaimedTokens = reclaimed.map(\.token)
            store.commit(changes) { result in
                self.onLoop { $0.finishGrant(session, reclaimed: reclaimedTokens, result, completion: completion) }
            }
        }
    }

    private func finishGrant(_ session: Session, reclaimed: [SessionToken], _ result: Result<Void, StorageError>, completion: Completion<AcquireSuccess>) {
        switch result {
        case .failure(let error):
            ledger.abortGrant(session.token, reclaimed: reclaimed)
            logger.warning("acquire not stored", metadata: ["license": "\(key)", "error": "\(error)"])
            answerReattaches(session.token)
            completion(.failure(.storage(error)))
        case .success:
            ledger.confirmGrant(session.token, reclaimed: reclaimed)
            directory.remove(reclaimed)
            directory.register([session.token], owner: self)
            answerReattaches(session.token)
            var granted = success(session, reattached: false)
            granted.reclaimed = reclaimed
            completion(.success(granted))
        }
    }

    private func answerReattaches(_ token: SessionToken) {
        for waiter in grantOutcomeWaiters.removeValue(forKey: token) ?? [] {
            if ledger.phase(of: token) == .live, let current = ledger.session(token) {
                waiter.completion(.success(success(current, reattached: true)))
            } else if waiter.attempt < 3 {
                // The session it attached to was released meanwhile, or its grant failed.
                // Nothing was promised to this caller yet: decide again as if it arrived now.
                acquire(waiter.request, attempt: waiter.attempt + 1, completion: waiter.completion)
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
        case .extended(let session):
            if !session.isBorrowed {
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
                    }
                }
            }
        }
    }

    /// One sweep of this license: commits again the ends that failed before, and reclaims
    /// every seat whose lease has run out at `now`. Completes with the ends now durable.
    func sweep(now: Timestamp, completion: @escaping @Sendable ([(token: SessionToken, end: SessionEnd)]) -> Void) {
        let ends = ledger.retryEnds() + ledger.beginExpiry(now: now).map { (session: $0, end: SessionEnd.expired) }
        endAll(ends, at: now) { ended, _ in completion(ended) }
    }

    /// Retires the actor and ends every session: the license was deleted (or moved to
    /// another tenant) by `administrator`. Completes with the sessions ended durably.
    func retire(by administrator: String, completion: @escaping @Sendable ([SessionToken]) -> Void) {
        retired = true
        revokeAll(by: administrator, completion: completion)
    }

    /// Ends every session as revoked (the license was revoked). Completes with the
    /// sessions ended durably.
    func revokeAll(by administrator: String, completion: @escaping @Sendable ([SessionToken]) -> Void) {
        let sessions = ledger.beginEndAll(reason: .revoked)
        for session in sessions { deferredRevokers[session.token] = administrator }
        endAll(sessions.map { ($0, .revoked) }, at: clock.now()) { ended, _ in completion(ended.map(\.token)) }
    }

    func update(_ license: License) {
        ledger.updateLicense(license)
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
                    actor.endChunks(remaining.dropFirst(chunk.count), at: now, ended: ended + committed, chunkSize: chunkSize, completion: completion)
                }
            }
        }
    }

    private func releaseSuccess(ended: Bool) -> ReleaseSuccess {
        ReleaseSuccess(ended: ended, seatsTotal: ledger.seatsTotal, seatsInUse: ledger.seatsInUse)
    }

    private func success(_ session: Session, reattached: Bool) -> AcquireSuccess {
        AcquireSuccess(
            session: session, reattached: reattached, license: ledger.license, seatsInUse: ledger.seatsInUse,
            overage: ledger.isOverage(session.token))
    }
}
