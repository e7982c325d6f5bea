import Logging
import NIOCore
import NIOPosix
import SeatCore
import SeatLicensing
import SeatProtocol
import SeatStorage
import Synchronization

/// The seat operations the network layer calls: routes each request to the actor of
/// its license and falls back to storage for sessions that have already ended.
///
/// Every request carries the principal it acts for. A license or session of a tenant the
/// principal cannot access is answered exactly like one that does not exist.
final class SeatService: Sendable {
    /// Replaced by a SIGHUP reload; every request reads the policy in force.
    private let livePolicy: LiveValue<LeasePolicy>
    /// The `policy_file` in force: none until the daemon applies one, replaced by a reload.
    private let liveSitePolicy = LiveValue(SitePolicy.none)
    private let store: SeatStore
    /// Where license actors write: `store`, unless a test fails some commits.
    private let commits: any SeatCommits
    private let clock: any ServerClock
    /// The loops license actors run on, handed out round-robin.
    private let eventLoops: any EventLoopGroup
    private let directory = SessionDirectory()
    private let actors = Mutex<[String: LicenseActor]>([:])
    /// Retired actors (license deleted or moved) whose ends have not all been committed:
    /// swept until they have, so a failed end is retried even with no license left.
    private let retiring = Mutex<[ObjectIdentifier: LicenseActor]>([:])
    private let endedSessionRetentionMilliseconds: Atomic<Int64>
    private let logger: Logger
    /// Told about ended sessions, to notify their holders and forget their connections.
    private let revocations: ConnectionDirectory
    /// How long queues may grow (`queue_max_per_license`, `queue_max_per_connection`).
    private let queueLimits: QueueLimits
    /// Told how long each waiter that got a seat waited, for metrics.
    private let onWaitGranted: @Sendable (_ waited: Duration, _ license: License) -> Void
    /// License changes (file reloads and admin requests) run one at a time.
    private let catalogGate = SerialGate()
    /// Imported licenses whose signing key the site no longer trusts: kept in the store,
    /// not served, and served again if the key is trusted again (`applyTrust`).
    private let untrusted = Mutex<[String: License]>([:])

    /// Rebuilds every license actor from storage. Sessions that were live get at least a
    /// full lease from now (see `LeasePolicy.restoredLeaseExpiry`); sessions whose license
    /// no longer exists are ended as revoked.
    init(
        store: SeatStore, policy: LeasePolicy, endedSessionRetentionSeconds: Double, revocations: ConnectionDirectory,
        verifier: LicenseVerifier, clock: any ServerClock, eventLoops: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        commits: (any SeatCommits)? = nil, queueLimits: QueueLimits = QueueLimits(), onWaitGranted: @escaping @Sendable (_ waited: Duration, _ license: License) -> Void = { _, _ in },
        logger: Logger
    ) async throws {
        self.store = store
        self.queueLimits = queueLimits
        self.onWaitGranted = onWaitGranted
        self.commits = commits ?? store
        self.revocations = revocations
        self.clock = clock
        self.eventLoops = eventLoops
        self.livePolicy = LiveValue(policy)
        self.endedSessionRetentionMilliseconds = Atomic(Int64(endedSessionRetentionSeconds * 1000))
        self.logger = logger

        let now = clock.now()
        var licenses: [License] = []
        var withdrawn: [String: License] = [:]
        for license in try store.loadLicenses() {
            if license.provenance.origin == .admin && !verifier.stillTrusts(license.provenance) {
                withdrawn[license.key] = license
            } else {
                licenses.append(license)
            }
        }
        if !withdrawn.isEmpty {
            logger.warning("imported licenses not served: their vendor key is no longer trusted (vendor_public_keys)", metadata: [
                "licenses": "\(withdrawn.keys.sorted().joined(separator: ","))",
            ])
        }
        untrusted.withLock { $0 = withdrawn }
        var sessionsByLicense: [String: [Session]] = [:]
        for var session in try store.loadLiveSessions() {
            // A borrowed seat keeps the expiry its signed lease states: no heartbeat renews it.
            if !session.isBorrowed {
                session.leaseExpiresAt = policy.restoredLeaseExpiry(stored: session.leaseExpiresAt, lastHeartbeatAt: session.lastHeartbeatAt)
            }
            sessionsByLicense[session.licenseKey, default: []].append(session)
        }
        var restored: [String: LicenseActor] = [:]
        for license in licenses {
            let ledger = SeatLedger(license: license, restoring: sessionsByLicense.removeValue(forKey: license.key) ?? [])
            restored[license.key] = makeActor(ledger)
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

    private func makeActor(_ ledger: SeatLedger) -> LicenseActor {
        LicenseActor(
            ledger: ledger, eventLoop: eventLoops.next(), store: commits, directory: directory, policy: livePolicy, sitePolicy: liveSitePolicy,
            clock: clock, connections: revocations, waitObserver: onWaitGranted, logger: logger
        )
    }

    var sessionCount: Int { directory.count }

    var policy: LeasePolicy { livePolicy.value }

    /// Applies reloaded settings: later grants and heartbeats use the new lease (sessions
    /// keep the expiry they were given until their next heartbeat).
    func update(policy: LeasePolicy, endedSessionRetentionSeconds: Double) {
        livePolicy.set(policy)
        endedSessionRetentionMilliseconds.store(Int64(endedSessionRetentionSeconds * 1000), ordering: .relaxed)
    }

    var sitePolicy: SitePolicy { liveSitePolicy.value }

    /// Applies a (re)loaded policy file: later acquires are judged by it; sessions already
    /// granted keep their seats.
    func update(sitePolicy: SitePolicy) {
        liveSitePolicy.set(sitePolicy)
        // Seats the old rules held back may go to waiters now.
        for actor in actors.withLock({ Array($0.values) }) { actor.onLoop { $0.serveQueue() } }
    }

    /// Seats of every license, for metrics.
    func licenseSnapshots() async -> [LicenseSnapshot] {
        let all = actors.withLock { Array($0.values) }
        var snapshots: [LicenseSnapshot] = []
        snapshots.reserveCapacity(all.count)
        for actor in all { snapshots.append(await actor.snapshot) }
        return snapshots
    }

    /// One license's seats, without asking every license actor.
    func licenseSnapshot(_ licenseKey: String) async -> LicenseSnapshot? {
        await actor(for: licenseKey)?.snapshot
    }

    private func actor(for licenseKey: String) -> LicenseActor? {
        actors.withLock { $0[licenseKey] }
    }

    /// The license's actor if `principal` may use it.
    private func actor(for licenseKey: String, _ principal: Principal) -> LicenseActor? {
        guard let actor = actor(for: licenseKey), principal.canAccess(tenant: actor.tenant) else { return nil }
        return actor
    }

    /// The live session's actor if `principal` may use it.
    private func owner(of token: SessionToken, _ principal: Principal) -> LicenseActor? {
        guard let owner = directory.owner(of: token), principal.canAccess(tenant: owner.tenant) else { return nil }
        return owner
    }

    // MARK: Client requests (answered on the license's event loop)

    func acquire(_ request: SeatRequest, as principal: Principal, completion: @escaping LicenseActor.Completion<AcquireSuccess>) {
        guard let actor = actor(for: request.licenseKey, principal) else { return completion(.failure(.unknownLicense)) }
        actor.onLoop { actor in
            actor.acquire(request) { result in
                if case .success(let success) = result, !success.reclaimed.isEmpty { self.revocations.forget(success.reclaimed) }
                completion(result)
            }
        }
    }

    /// An acquire that may wait (protocol-spec.md 9a). A connection at its limit of waits is
    /// answered as a plain acquire.
    func acquireOrWait(_ request: SeatRequest, requestID: UInt32, as principal: Principal, on link: ConnectionLink, completion: @escaping LicenseActor.Completion<AcquireOutcome>) {
        guard let actor = actor(for: request.licenseKey, principal) else { return completion(.failure(.unknownLicense)) }
        guard link.beginWait(requestID, licenseKey: request.licenseKey, holder: request.holder, limit: queueLimits.perConnection) else {
            return acquire(request, as: principal) { completion($0.map(AcquireOutcome.acquired)) }
        }
        let waiting = QueueRequest(id: link.waiterID(requestID), maximumQueueLength: queueLimits.perLicense)
        actor.onLoop { actor in
            actor.acquire(request, waiting: waiting) { result in
                switch result {
                case .success(.queued):
                    break
                case .success(.acquired(let success)):
                    link.endWait(requestID)
                    if !success.reclaimed.isEmpty { self.revocations.forget(success.reclaimed) }
                case .failure:
                    link.endWait(requestID)
                }
                completion(result)
            }
        }
    }

    /// `link` closed: its waits lose their places at once.
    func dropWaits(of link: ConnectionLink) {
        for licenseKey in link.waitedLicenses {
            actor(for: licenseKey)?.onLoop { $0.dropWaits(onConnection: link.id) }
        }
    }

    /// Everyone waiting for a seat, in queue order per license (of `tenant`, or `licenseKey`).
    func waiters(tenant: String? = nil, licenseKey: String? = nil) async -> [(license: License, waiters: [Waiter])] {
        let visible = actors.withLock { actors in
            actors.values.filter { (tenant == nil || $0.tenant == tenant) && (licenseKey == nil || $0.key == licenseKey) }
        }
        var result: [(license: License, waiters: [Waiter])] = []
        for actor in visible {
            let (license, waiters) = await actor.awaiting { actor, done in done((actor.ledger.license, actor.waiters)) }
            if !waiters.isEmpty { result.append((license, waiters)) }
        }
        return result.sorted { $0.license.key < $1.license.key }
    }

    func heartbeat(_ token: SessionToken, as principal: Principal, completion: @escaping LicenseActor.Completion<Session>) {
        guard let owner = owner(of: token, principal) else { return completion(.failure(endedSessionFailure(token, principal))) }
        owner.onLoop { actor in
            actor.heartbeat(token) { result in
                switch result {
                case .failure(.unknownSession): completion(.failure(self.endedSessionFailure(token, principal)))
                case .failure(.sessionEnded):
                    self.revocations.forget([token])
                    completion(result)
                default: completion(result)
                }
            }
        }
    }

    func release(_ token: SessionToken, as principal: Principal, completion: @escaping LicenseActor.Completion<ReleaseSuccess>) {
        guard let owner = owner(of: token, principal) else { return releaseEnded(token, as: principal, completion: completion) }
        owner.onLoop { actor in
            actor.end(token, reason: .released) { result in
                if result == .failure(.unknownSession) { return self.releaseEnded(token, as: principal, completion: completion) }
                if case .success(let success) = result, success.ended { self.revocations.forget([token]) }
                completion(result)
            }
        }
    }

    /// Release of a session that has already ended is idempotent: report the license's seats again.
    private func releaseEnded(_ token: SessionToken, as principal: Principal, completion: @escaping LicenseActor.Completion<ReleaseSuccess>) {
        let ended: EndedSession?
        do {
            ended = try store.endedSession(token)
        } catch {
            return completion(.failure(.storage(error)))
        }
        guard let ended, principal.canAccess(tenant: ended.tenant) else { return completion(.failure(.unknownSession)) }
        guard let actor = actor(for: ended.licenseKey) else {
            return completion(.success(ReleaseSuccess(ended: false, seatsTotal: 0, seatsInUse: 0)))
        }
        actor.onLoop { actor in
            let snapshot = actor.snapshot
            completion(.success(ReleaseSuccess(ended: false, seatsTotal: snapshot.license.seats, seatsInUse: snapshot.seatsInUse)))
        }
    }

    func validate(licenseKey: String, as principal: Principal, completion: @escaping LicenseActor.Completion<LicenseSnapshot>) {
        guard let actor = actor(for: licenseKey, principal) else { return completion(.failure(.unknownLicense)) }
        actor.onLoop { completion(.success($0.snapshot)) }
    }

    // MARK: Sweeping

    /// One sweep at `now`: every license (and every retired one with ends still to
    /// commit) retries its failed ends and reclaims its lapsed seats, then ended sessions
    /// past retention are forgotten. Returns how many seats were reclaimed as expired.
    @discardableResult
    func sweep(now: Timestamp) async -> Int {
        let live = actors.withLock { Array($0.values) }
        let retired = retiring.withLock { Array($0.values) }
        var expired = 0
        for actor in live + retired {
            let reason: RevocationReason = retired.contains { $0 === actor } ? .licenseDeleted : .licenseRevoked
            let ended = await actor.awaiting { actor, done in actor.sweep(now: now, completion: done) }
            let revoked = ended.filter { $0.end != .expired }.map(\.token)
            revocations.forget(ended.filter { $0.end == .expired }.map(\.token))
            revocations.notifyRevoked(revoked, reason: reason, message: "the license \(actor.key) was revoked or removed by an administrator")
            expired += ended.count - revoked.count
        }
        for actor in retired where !(await actor.holdsSessions) {
            _ = retiring.withLock { $0.removeValue(forKey: ObjectIdentifier(actor)) }
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

    // MARK: License changes

    /// What a license change did.
    struct LicenseChanges: Equatable {
        var added: [String] = []
        var updated: [String] = []
        var unchanged: [String] = []
        var deleted: [String] = []
        var sessionsRevoked = 0
    }

    /// Makes `licenses` the complete set of licenses from the licenses file: adds and
    /// updates them, and deletes file licenses no longer listed (their sessions end as
    /// revoked). Licenses managed through the admin channel are left alone; a file entry
    /// with the key of one is refused.
    func applyLicenseFile(_ licenses: [License]) async throws(AdminFailure) -> LicenseChanges {
        try await catalogGate.run { () async throws(AdminFailure) in
            let current = actors.withLock { $0 }
            for license in licenses {
                if let actor = current[license.key], await actor.snapshot.license.provenance.origin == .admin {
                    throw .conflict("license \(license.key) is managed with seatctl (imported or added); remove it from licenses_file or delete it with seatctl license delete")
                }
            }
            var fileKeys: [String] = []
            for (key, actor) in current where await actor.snapshot.license.provenance.origin == .file { fileKeys.append(key) }
            let listed = Set(licenses.map(\.key))
            return try await change(upserting: licenses, deleting: fileKeys.filter { !listed.contains($0) }, reason: .licenseDeleted, by: "licenses_file")
        }
    }

    /// Adds or replaces licenses through the admin channel (import, add). Licenses from
    /// the licenses file cannot be replaced this way.
    func upsertLicenses(_ licenses: [License], by administrator: String) async throws(AdminFailure) -> LicenseChanges {
        try await catalogGate.run { () async throws(AdminFailure) in
            for license in licenses {
                if let actor = actor(for: license.key), await actor.snapshot.license.provenance.origin == .file {
                    throw .conflict("license \(license.key) is defined in licenses_file; change it there and reload")
                }
            }
            return try await change(upserting: licenses, deleting: [], reason: .licenseDeleted, by: administrator)
        }
    }

    /// Deletes an admin-managed license; its sessions end as revoked.
    func deleteLicense(_ key: String, by administrator: String) async throws(AdminFailure) -> (License, LicenseChanges) {
        try await catalogGate.run { () async throws(AdminFailure) in
            let license = try await adminManagedLicense(key)
            return (license, try await change(upserting: [], deleting: [key], reason: .licenseDeleted, by: administrator))
        }
    }

    /// Suspends, resumes or revokes an admin-managed license. Revoking ends its sessions.
    func setLicenseState(_ key: String, to state: LicenseState, by administrator: String) async throws(AdminFailure) -> (License, LicenseChanges) {
        try await catalogGate.run { () async throws(AdminFailure) in
            var license = try await adminManagedLicense(key)
            if license.state == .revoked && state != .revoked {
                throw .conflict("license \(key) is revoked; a revoked license cannot be resumed (import it again to replace it)")
            }
            license.state = state
            var changes = try await change(upserting: [license], deleting: [], reason: .licenseRevoked, by: administrator)
            if state == .revoked, let actor = actor(for: key) {
                let tokens = await actor.awaiting { actor, done in actor.revokeAll(by: administrator, completion: done) }
                revocations.notifyRevoked(tokens, reason: .licenseRevoked, message: "the license \(key) was revoked by an administrator")
                changes.sessionsRevoked += tokens.count
            }
            return (license, changes)
        }
    }

    private func adminManagedLicense(_ key: String) async throws(AdminFailure) -> License {
        guard let actor = actor(for: key) else { throw .notFound("no license \(key)") }
        let license = await actor.snapshot.license
        guard license.provenance.origin == .admin else {
            throw .conflict("license \(key) is defined in licenses_file; change it there and reload")
        }
        return license
    }

    /// Stores the upserts and deletions in one commit, then updates the actors. A
    /// license moved to another tenant gets a new actor (its sessions end), so no
    /// session ever belongs to a tenant other than its license's. Callers hold the gate.
    private func change(upserting licenses: [License], deleting keys: [String], reason: RevocationReason, by administrator: String) async throws(AdminFailure) -> LicenseChanges {
        let current = actors.withLock { $0 }
        var summary = LicenseChanges()
        var storeChanges: [StoreChange] = []
        var updated: [(LicenseActor, License)] = []
        var added: [License] = []
        var retiring: [LicenseActor] = []
        for license in licenses {
            if let actor = current[license.key] {
                let existing = await actor.snapshot.license
                if existing == license {
                    summary.unchanged.append(license.key)
                    continue
                }
                storeChanges.append(.putLicense(license))
                summary.updated.append(license.key)
                if existing.tenant == license.tenant {
                    updated.append((actor, license))
                } else {
                    retiring.append(actor)
                    added.append(license)
                }
            } else {
                storeChanges.append(.putLicense(license))
                summary.added.append(license.key)
                added.append(license)
            }
        }
        for key in keys {
            guard let actor = current[key] else { continue }
            storeChanges.append(.deleteLicense(key: key))
            summary.deleted.append(key)
            retiring.append(actor)
        }
        guard !storeChanges.isEmpty else { return summary }

        do {
            try await store.commit(storeChanges)
        } catch {
            throw .storage(error)
        }
        for (actor, license) in updated { await actor.update(license) }
        let newActors = added.map { makeActor(SeatLedger(license: $0)) }
        // A license imported again replaces the copy withdrawn for an untrusted signer.
        untrusted.withLock { map in for license in added { map[license.key] = nil } }
        actors.withLock { map in
            for actor in retiring { map[actor.key] = nil }
            for actor in newActors { map[actor.key] = actor }
        }
        for actor in retiring {
            let tokens = await actor.awaiting { actor, done in actor.retire(by: administrator, completion: done) }
            if await actor.holdsSessions {
                self.retiring.withLock { $0[ObjectIdentifier(actor)] = actor }
            }
            revocations.notifyRevoked(tokens, reason: reason, message: "the license \(actor.key) was removed by an administrator")
            summary.sessionsRevoked += tokens.count
        }
        logger.info("licenses changed", metadata: [
            "added": "\(summary.added.count)", "updated": "\(summary.updated.count)", "deleted": "\(summary.deleted.count)",
            "sessions_revoked": "\(summary.sessionsRevoked)",
        ])
        return summary
    }

    /// Re-checks the imported licenses against the keys trusted now (after
    /// `vendor_public_keys` or `development_mode` changed): a license whose signer is no
    /// longer trusted stops being served (its sessions end as revoked, its holders are
    /// told) but stays in the store; one whose signer is trusted again is served again.
    func applyTrust(_ verifier: LicenseVerifier) async -> (withdrawn: [String], restored: [String]) {
        await catalogGate.run { () async -> (withdrawn: [String], restored: [String]) in
            let current = actors.withLock { $0 }
            var withdrawing: [(LicenseActor, License)] = []
            for (_, actor) in current {
                let license = await actor.snapshot.license
                if license.provenance.origin == .admin && !verifier.stillTrusts(license.provenance) { withdrawing.append((actor, license)) }
            }
            let restoring = untrusted.withLock { map in map.values.filter { verifier.stillTrusts($0.provenance) } }
            let newActors = restoring.map { makeActor(SeatLedger(license: $0)) }
            actors.withLock { map in
                for (actor, _) in withdrawing { map[actor.key] = nil }
                for actor in newActors { map[actor.key] = actor }
            }
            untrusted.withLock { map in
                for license in restoring { map[license.key] = nil }
                for (_, license) in withdrawing { map[license.key] = license }
            }
            for (actor, _) in withdrawing {
                let tokens = await actor.awaiting { actor, done in actor.retire(by: "vendor_public_keys", completion: done) }
                revocations.notifyRevoked(tokens, reason: .licenseRevoked, message: "the license \(actor.key) is no longer signed by a trusted vendor key")
            }
            let result = (withdrawn: withdrawing.map(\.0.key).sorted(), restored: restoring.map(\.key).sorted())
            if !result.withdrawn.isEmpty || !result.restored.isEmpty {
                logger.warning("vendor keys changed: imported licenses re-checked", metadata: [
                    "withdrawn": "\(result.withdrawn.joined(separator: ","))", "restored": "\(result.restored.joined(separator: ","))",
                ])
            }
            return result
        }
    }

    // MARK: Sessions for administrators

    /// Live sessions matching `filter`, with their license, for listing.
    func sessions(matching filter: SessionFilter) async -> [(license: License, session: Session)] {
        let all = actors.withLock { Array($0.values) }
        var found: [(license: License, session: Session)] = []
        for actor in all where filter.tenant == nil || filter.tenant == actor.tenant {
            if let key = filter.licenseKey, key != actor.key { continue }
            let license = await actor.snapshot.license
            for session in await actor.liveSessions where filter.matches(session) {
                found.append((license, session))
            }
        }
        return found.sorted { ($0.session.licenseKey, $0.session.createdAt.millisecondsSinceEpoch) < ($1.session.licenseKey, $1.session.createdAt.millisecondsSinceEpoch) }
    }

    /// Force-releases every live session matching `filter`: each ends as revoked (its
    /// holder's next heartbeat gets sessionRevoked), its seat is free once that is
    /// durable, and a connected holder is told at once. Returns the sessions ended.
    func forceRelease(matching filter: SessionFilter, by administrator: String) async throws(AdminFailure) -> [(license: License, session: Session)] {
        var released: [(license: License, session: Session)] = []
        var failure: StorageError?
        for match in await sessions(matching: filter) {
            guard let owner = directory.owner(of: match.session.token) else { continue }
            let token = match.session.token
            switch await owner.awaiting({ actor, done in actor.end(token, reason: .revoked, by: administrator, completion: done) }) {
            case .success(let result) where result.ended:
                released.append(match)
            case .failure(.storage(let error)):
                failure = error
            default:
                break
            }
        }
        revocations.notifyRevoked(released.map(\.session.token), reason: .forceReleased, message: "the session was released by an administrator")
        if released.isEmpty, let failure { throw .storage(failure) }
        return released
    }

    private func endedSessionFailure(_ token: SessionToken, _ principal: Principal) -> SeatFailure {
        do {
            guard let ended = try store.endedSession(token), principal.canAccess(tenant: ended.tenant) else { return .unknownSession }
            return .sessionEnded(ended.end)
        } catch {
            return .storage(error)
        }
    }
}
