import Logging
import SeatCore
import SeatStorage

/// The live seats of one license. Every decision is taken synchronously on the actor
/// by `SeatLedger` before the first suspension point (the storage commit), so
/// interleaved requests can never oversubscribe the license.
actor LicenseActor {
    nonisolated let key: String
    /// Fixed for the actor's life: a license moved to another tenant gets a new actor
    /// (its sessions end), so no request can straddle the move.
    nonisolated let tenant: String
    private var ledger: SeatLedger
    private let store: SeatStore
    private let directory: SessionDirectory
    private let livePolicy: LiveValue<LeasePolicy>
    private let logger: Logger
    /// Set once the license is deleted: an acquire that found this actor just before the
    /// deletion must not grant a seat of a license that no longer exists.
    private var retired = false
    /// Re-acquires of a holder whose grant is still being committed, waiting for the
    /// granting request to confirm or abort it.
    private var grantOutcomeWaiters: [SessionToken: [CheckedContinuation<Void, Never>]] = [:]

    init(ledger: SeatLedger, store: SeatStore, directory: SessionDirectory, policy: LiveValue<LeasePolicy>, logger: Logger) {
        self.key = ledger.license.key
        self.tenant = ledger.license.tenant
        self.ledger = ledger
        self.store = store
        self.directory = directory
        self.livePolicy = policy
        self.logger = logger
        directory.register(ledger.sessions.map(\.token), owner: self)
    }

    var snapshot: LicenseSnapshot { LicenseSnapshot(license: ledger.license, seatsInUse: ledger.seatsInUse) }

    /// Sessions holding a seat now (live, or being ended but not yet committed).
    var liveSessions: [Session] { ledger.sessions.filter { ledger.phase(of: $0.token) != .pending } }

    func acquire(_ request: SeatRequest) async -> Result<AcquireSuccess, SeatFailure> {
        await acquire(request, attempt: 1)
    }

    private func acquire(_ request: SeatRequest, attempt: Int) async -> Result<AcquireSuccess, SeatFailure> {
        guard !retired else { return .failure(.unknownLicense) }
        var random = SystemRandomNumberGenerator()
        let decision = ledger.acquire(request, now: WallClock.now(), policy: livePolicy.value) {
            SessionToken.random(using: &random)
        }
        switch decision {
        case .refused(let refusal):
            return .failure(SeatFailure(refusal))

        case .attached(let session, durable: true):
            store.commitLazily([.refreshLease(token: session.token, lastHeartbeatAt: session.lastHeartbeatAt, leaseExpiresAt: session.leaseExpiresAt)])
            return .success(success(session, reattached: true))

        case .attached(let session, durable: false):
            // Its grant is still being committed by another request: answer only once that
            // request has confirmed (or aborted) it. Waiting for the commit alone is not
            // enough: the granting request re-enters the actor to confirm after its commit
            // completes, and this one may get back onto the actor first.
            if ledger.phase(of: session.token) == .pending {
                await withCheckedContinuation { grantOutcomeWaiters[session.token, default: []].append($0) }
            }
            if ledger.phase(of: session.token) == .live, let current = ledger.session(session.token) {
                return .success(success(current, reattached: true))
            }
            // While this request waited, the session it attached to was released by its
            // holder (or its grant's commit failed). Nothing was promised to this caller
            // yet, so decide again as if the request had arrived just now.
            guard attempt < 3 else {
                return .failure(.storage(.io(code: 0, "the session's grant was not stored")))
            }
            return await acquire(request, attempt: attempt + 1)

        case .granted(let session, let reclaimed):
            let reclaimedTokens = reclaimed.map(\.token)
            var changes: [StoreChange] = [.putSession(session), .appendAudit(.grant(session, tenant: tenant))]
            for lapsed in reclaimed {
                changes.append(.endSession(EndedSession(token: lapsed.token, licenseKey: key, tenant: tenant, end: .expired, endedAt: session.createdAt)))
                changes.append(.appendAudit(.expiry(lapsed, tenant: tenant, at: session.createdAt)))
            }
            do {
                try await store.commit(changes)
            } catch {
                ledger.abortGrant(session.token, reclaimed: reclaimedTokens)
                resumeGrantOutcomeWaiters(session.token)
                logger.warning("acquire not stored", metadata: ["license": "\(key)", "error": "\(error)"])
                return .failure(.storage(error))
            }
            ledger.confirmGrant(session.token, reclaimed: reclaimedTokens)
            resumeGrantOutcomeWaiters(session.token)
            directory.remove(reclaimedTokens)
            directory.register([session.token], owner: self)
            return .success(success(session, reattached: false))
        }
    }

    func heartbeat(_ token: SessionToken) -> Result<Session, SeatFailure> {
        switch ledger.heartbeat(token, now: WallClock.now(), policy: livePolicy.value) {
        case .extended(let session):
            store.commitLazily([.refreshLease(token: token, lastHeartbeatAt: session.lastHeartbeatAt, leaseExpiresAt: session.leaseExpiresAt)])
            return .success(session)
        case .refused(let refusal):
            return .failure(SeatFailure(refusal))
        }
    }

    /// Ends one session: a release by its holder, or a force-release (`.revoked`) by
    /// `administrator`. The seat is freed only once the end (and its audit event) is durable.
    func end(_ token: SessionToken, reason: SessionEnd, by administrator: String = "") async -> Result<ReleaseSuccess, SeatFailure> {
        switch ledger.beginEnd(token, reason: reason) {
        case .unknownSession:
            return .failure(.unknownSession)
        case .alreadyEnding:
            do {
                try await store.flush()
            } catch {
                return .failure(.storage(error))
            }
            return .success(ReleaseSuccess(ended: false, seatsTotal: ledger.seatsTotal, seatsInUse: ledger.seatsInUse))
        case .ending(let session):
            let ended = EndedSession(token: token, licenseKey: key, tenant: tenant, end: reason, endedAt: WallClock.now())
            let event: AuditEvent = reason == .revoked
                ? .forceRelease(session, tenant: tenant, by: administrator, at: ended.endedAt)
                : .release(session, tenant: tenant, at: ended.endedAt)
            do {
                try await store.commit([.endSession(ended), .appendAudit(event)])
            } catch {
                ledger.abortEnd([token])
                return .failure(.storage(error))
            }
            ledger.finishEnd([session.token])
            directory.remove([token])
            return .success(ReleaseSuccess(ended: true, seatsTotal: ledger.seatsTotal, seatsInUse: ledger.seatsInUse))
        }
    }

    /// Reclaims every seat whose lease has run out. Returns how many were reclaimed.
    func expire(now: Timestamp) async -> Int {
        await endAll(ledger.beginExpiry(now: now), reason: .expired, at: now, by: "").count
    }

    /// Retires the actor and ends every session: the license was deleted (or moved to
    /// another tenant) by `administrator`. Returns the sessions ended.
    func retire(by administrator: String) async -> [SessionToken] {
        retired = true
        return await revokeAll(by: administrator)
    }

    /// Ends every session as revoked (the license was revoked). Returns the sessions ended.
    func revokeAll(by administrator: String) async -> [SessionToken] {
        await endAll(ledger.beginEndAll(reason: .revoked), reason: .revoked, at: WallClock.now(), by: administrator)
    }

    func update(_ license: License) {
        ledger.updateLicense(license)
    }

    private func endAll(_ sessions: [Session], reason: SessionEnd, at now: Timestamp, by administrator: String) async -> [SessionToken] {
        guard !sessions.isEmpty else { return [] }
        let tokens = sessions.map(\.token)
        var changes: [StoreChange] = []
        changes.reserveCapacity(sessions.count * 2)
        for session in sessions {
            changes.append(.endSession(EndedSession(token: session.token, licenseKey: key, tenant: tenant, end: reason, endedAt: now)))
            changes.append(.appendAudit(reason == .revoked
                ? .forceRelease(session, tenant: tenant, by: administrator, at: now)
                : .expiry(session, tenant: tenant, at: now)))
        }
        do {
            try await store.commit(changes)
        } catch {
            ledger.abortEnd(tokens)
            logger.warning("ending sessions not stored; will retry", metadata: ["license": "\(key)", "sessions": "\(tokens.count)", "error": "\(error)"])
            return []
        }
        ledger.finishEnd(tokens)
        directory.remove(tokens)
        return tokens
    }

    private func resumeGrantOutcomeWaiters(_ token: SessionToken) {
        for waiter in grantOutcomeWaiters.removeValue(forKey: token) ?? [] { waiter.resume() }
    }

    private func success(_ session: Session, reattached: Bool) -> AcquireSuccess {
        AcquireSuccess(session: session, reattached: reattached, license: ledger.license, seatsInUse: ledger.seatsInUse)
    }
}
