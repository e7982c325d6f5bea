import Logging
import SeatCore
import SeatStorage
import Synchronization

/// The seat operations the network layer calls: routes each request to the actor of
/// its license and falls back to storage for sessions that have already ended.
final class SeatService: Sendable {
    /// Replaced by a SIGHUP reload; every request reads the policy in force.
    private let livePolicy: LiveValue<LeasePolicy>
    private let store: SeatStore
    private let directory = SessionDirectory()
    private let actors = Mutex<[String: LicenseActor]>([:])
    private let endedSessionRetentionMilliseconds: Atomic<Int64>
    private let logger: Logger

    /// Rebuilds every license actor from storage. Sessions that were live get at least a
    /// full lease from now (see `LeasePolicy.restoredLeaseExpiry`); sessions whose license
    /// no longer exists are ended as revoked.
    init(store: SeatStore, policy: LeasePolicy, endedSessionRetentionSeconds: Double, logger: Logger) async throws {
        self.store = store
        self.livePolicy = LiveValue(policy)
        self.endedSessionRetentionMilliseconds = Atomic(Int64(endedSessionRetentionSeconds * 1000))
        self.logger = logger

        let now = WallClock.now()
        let licenses = try store.loadLicenses()
        var sessionsByLicense: [String: [Session]] = [:]
        for var session in try store.loadLiveSessions() {
            session.leaseExpiresAt = policy.restoredLeaseExpiry(stored: session.leaseExpiresAt, restartedAt: now)
            sessionsByLicense[session.licenseKey, default: []].append(session)
        }
        var restored: [String: LicenseActor] = [:]
        for license in licenses {
            let ledger = SeatLedger(license: license, restoring: sessionsByLicense.removeValue(forKey: license.key) ?? [])
            restored[license.key] = LicenseActor(ledger: ledger, store: store, directory: directory, policy: livePolicy, logger: logger)
        }
        let orphans = sessionsByLicense.values.joined().map {
            StoreChange.endSession(EndedSession(token: $0.token, licenseKey: $0.licenseKey, end: .revoked, endedAt: now))
        }
        if !orphans.isEmpty {
            try await store.commit(orphans)
            logger.notice("ended sessions of deleted licenses", metadata: ["sessions": "\(orphans.count)"])
        }
        actors.withLock { $0 = restored }
        logger.info("restored seat state", metadata: ["licenses": "\(restored.count)", "sessions": "\(directory.count)"])
    }

    var sessionCount: Int { directory.count }

    var policy: LeasePolicy { livePolicy.value }

    /// Applies reloaded settings: later grants and heartbeats use the new lease (sessions
    /// keep the expiry they were given until their next heartbeat).
    func update(policy: LeasePolicy, endedSessionRetentionSeconds: Double) {
        livePolicy.set(policy)
        endedSessionRetentionMilliseconds.store(Int64(endedSessionRetentionSeconds * 1000), ordering: .relaxed)
    }

    /// Seats of every license, for metrics.
    func licenseSnapshots() async -> [LicenseSnapshot] {
        let all = actors.withLock { Array($0.values) }
        var snapshots: [LicenseSnapshot] = []
        snapshots.reserveCapacity(all.count)
        for actor in all { snapshots.append(await actor.snapshot) }
        return snapshots
    }

    private func actor(for licenseKey: String) -> LicenseActor? {
        actors.withLock { $0[licenseKey] }
    }

    func acquire(_ request: SeatRequest) async -> Result<AcquireSuccess, SeatFailure> {
        guard let actor = actor(for: request.licenseKey) else { return .failure(.unknownLicense) }
        return await actor.acquire(request)
    }

    func heartbeat(_ token: SessionToken) async -> Result<Session, SeatFailure> {
        if let owner = directory.owner(of: token) {
            let result = await owner.heartbeat(token)
            if result != .failure(.unknownSession) { return result }
        }
        return .failure(endedSessionFailure(token))
    }

    func release(_ token: SessionToken) async -> Result<ReleaseSuccess, SeatFailure> {
        if let owner = directory.owner(of: token) {
            let result = await owner.end(token, reason: .released)
            if result != .failure(.unknownSession) { return result }
        }
        // Already ended: release is idempotent, so report the license's seats again.
        do {
            guard let ended = try store.endedSession(token) else { return .failure(.unknownSession) }
            let snapshot = await actor(for: ended.licenseKey)?.snapshot
            return .success(ReleaseSuccess(ended: false, seatsTotal: snapshot?.license.seats ?? 0, seatsInUse: snapshot?.seatsInUse ?? 0))
        } catch {
            return .failure(.storage(error))
        }
    }

    func validate(licenseKey: String) async -> Result<LicenseSnapshot, SeatFailure> {
        guard let actor = actor(for: licenseKey) else { return .failure(.unknownLicense) }
        return .success(await actor.snapshot)
    }

    /// Reclaims lapsed seats on every license, then forgets ended sessions past retention.
    /// Returns how many seats were reclaimed.
    @discardableResult
    func sweep() async -> Int {
        let now = WallClock.now()
        let all = actors.withLock { Array($0.values) }
        var expired = 0
        for actor in all {
            expired += await actor.expire(now: now)
        }
        var purged = 0
        do {
            purged = try await store.purgeEndedSessions(endedBefore: now.adding(milliseconds: -endedSessionRetentionMilliseconds.load(ordering: .relaxed)), limit: 10_000)
        } catch {
            logger.warning("purging ended sessions failed", metadata: ["error": "\(error)"])
        }
        if expired > 0 || purged > 0 {
            logger.info("sweep", metadata: ["expired": "\(expired)", "forgotten": "\(purged)"])
        }
        return expired
    }

    /// Makes the license list `licenses` the one in force: adds and updates licenses,
    /// and deletes the others (their sessions end as revoked). Called at start and on SIGHUP,
    /// never concurrently with itself.
    func applyLicenses(_ licenses: [License]) async throws(StorageError) {
        let current = actors.withLock { $0 }
        var changes: [StoreChange] = []
        var updated: [(LicenseActor, License)] = []
        var added: [License] = []
        for license in licenses {
            if let actor = current[license.key] {
                if await actor.snapshot.license != license {
                    changes.append(.putLicense(license))
                    updated.append((actor, license))
                }
            } else {
                changes.append(.putLicense(license))
                added.append(license)
            }
        }
        let keep = Set(licenses.map(\.key))
        let deleted = current.filter { !keep.contains($0.key) }
        changes += deleted.keys.map { .deleteLicense(key: $0) }
        guard !changes.isEmpty else { return }

        try await store.commit(changes)
        for (actor, license) in updated { await actor.update(license) }
        let newActors = added.map {
            LicenseActor(ledger: SeatLedger(license: $0), store: store, directory: directory, policy: livePolicy, logger: logger)
        }
        actors.withLock { map in
            for actor in newActors { map[actor.key] = actor }
            for key in deleted.keys { map[key] = nil }
        }
        var revoked = 0
        for actor in deleted.values { revoked += await actor.retire() }
        logger.info("licenses applied", metadata: [
            "added": "\(added.count)", "updated": "\(updated.count)", "deleted": "\(deleted.count)", "sessions_revoked": "\(revoked)",
        ])
    }

    private func endedSessionFailure(_ token: SessionToken) -> SeatFailure {
        do {
            guard let ended = try store.endedSession(token) else { return .unknownSession }
            return .sessionEnded(ended.end)
        } catch {
            return .storage(error)
        }
    }
}
