/// The seats of one license: every session that holds one, and the rules for
/// granting, extending and ending them. Pure: time comes in as an argument and
/// persistence is the caller's job.
///
/// A seat is reserved the moment a grant is decided (phase `pending`) and stays
/// taken until the session's end has been committed (phase `ending` until then).
/// So the in-memory count is never below what storage holds, and storage can never
/// hold more live sessions than the license allows (`seats` plus its overage allowance).
/// A grant made while every one of `seats` was taken is an *overage* grant and stays
/// flagged as such for its life, for the site's true-up.
///
/// Under `user` or `host` seat counting a seat is named (by the user, or the hardware id)
/// and held while any session on it is: a further session of the same user (or host)
/// shares the seat, with its own token and lease, and takes no other.
public struct SeatLedger: Sendable {
    public enum Phase: Sendable, Equatable {
        case pending
        case live
        case ending(SessionEnd)
    }

    struct Entry: Sendable {
        var session: Session
        var phase: Phase
        /// The session's last heartbeat that was given to storage (its grant's time, or
        /// the stored one it was restored with, until a heartbeat is stored).
        var storedHeartbeatAt: Timestamp
        /// Whether the session's grant has been committed (restored sessions were). A
        /// failed end returns an uncommitted session to `pending`, not `live`.
        var committed: Bool
        /// An end the server decided (expiry, revocation) whose commit failed: it stands,
        /// and waits for `retryEnds` to be committed again.
        var endAwaitingRetry = false
        /// Granted while all of the license's `seats` were taken: a seat of its overage.
        var overage = false

        var isEnding: Bool {
            if case .ending = phase { return true }
            return false
        }
    }

    public private(set) var license: License
    var entries: [SessionToken: Entry] = [:]
    /// The session a re-acquire attaches to. For a holder not in `crowdedHolders`, this is
    /// the only session of that holder that may be pending or live.
    var holders: [Holder: SessionToken] = [:]
    /// Holders that may have more than one session that is not ending: storage held
    /// duplicates, or a failed end revived a session next to a newer one. Looking up
    /// their sessions scans `entries`; both situations are rare.
    var crowdedHolders: Set<Holder> = []
    /// Under user or host counting: how many entries (of any phase) are on each seat.
    private var seatOccupants: [String: Int] = [:]
    /// Who waits for a seat, in the order seats go to them (`SeatLedger+Queue.swift`).
    public internal(set) var queue = SeatQueue()

    /// Rebuilds a ledger from stored sessions, all of them live. Storage keeps no overage
    /// flag: the sessions granted after the first `seats` (by creation time) are the overage.
    public init(license: License, restoring sessions: [Session] = []) {
        self.license = license
        var seatOverage: [String: Bool] = [:]
        var seatsTaken = 0
        for session in sessions.sorted(by: { $0.createdAt < $1.createdAt }) {
            let name = seatName(of: session)
            let overage: Bool
            if let name, let shared = seatOverage[name] {
                overage = shared
            } else {
                overage = seatsTaken >= license.seats
                seatsTaken += 1
                if let name { seatOverage[name] = overage }
            }
            insert(Entry(session: session, phase: .live, storedHeartbeatAt: session.lastHeartbeatAt, committed: true, overage: overage))
            // Storage holds two live sessions of one holder only if an end failed to commit
            // after the holder got a new session. Keep the newest as the one a re-acquire
            // attaches to, and remember that the holder has more.
            if let existing = holders[session.holder], existing != session.token {
                crowdedHolders.insert(session.holder)
                if let other = entries[existing], other.session.createdAt > session.createdAt { continue }
            }
            holders[session.holder] = session.token
        }
    }

    /// Seats taken, as reported to anyone (replies, refusals, metrics, admin status):
    /// pending grants, live sessions and ends not yet committed, never more than the
    /// license allows (`seats` plus the overage allowance; `seatsOverageInUse` says how
    /// many of them are past `seats`). The ledger holds more entries than that in two
    /// cases, and neither takes more seats: a grant being committed stands in for the
    /// lapsed sessions it reclaims (storage ends up with the grant or with them, never
    /// both), and a license whose seats were lowered below its current holders is full.
    public var seatsInUse: Int { min(license.seatsAllowed, seatsHeld) }
    public var seatsTotal: Int { license.seats }
    /// Seats in use past `seats`: what the site owes the vendor at a true-up.
    public var seatsOverageInUse: Int { license.seatsOverage(inUse: seatsInUse) }
    /// Seats of `seats` still free (the overage allowance not counted).
    public var seatsFree: Int { max(0, license.seats - seatsHeld) }

    /// Seats the entries hold: one each, or one per seat name under user or host counting.
    private var seatsHeld: Int { license.seatCounting == .session ? entries.count : seatOccupants.count }

    public func session(_ token: SessionToken) -> Session? { entries[token]?.session }
    public func phase(of token: SessionToken) -> Phase? { entries[token]?.phase }
    /// Whether the session was granted past `seats`, from the license's overage.
    public func isOverage(_ token: SessionToken) -> Bool { entries[token]?.overage ?? false }
    public var sessions: [Session] { entries.values.map(\.session) }

    /// The earliest time a seat may free up: the earliest lease expiry, or `now` when
    /// an end is already being committed. A shared seat frees when its last session does.
    public func nextFreeAt(now: Timestamp) -> Timestamp {
        guard license.seatCounting == .session else {
            var seatFreesAt: [String: Timestamp] = [:]
            for entry in entries.values {
                let freesAt = entry.isEnding ? now : entry.session.leaseExpiresAt
                seatFreesAt[seatName(of: entry.session)!] = max(freesAt, seatFreesAt[seatName(of: entry.session)!] ?? freesAt)
            }
            return max(now, seatFreesAt.values.min() ?? now)
        }
        var earliest: Timestamp?
        for entry in entries.values {
            if case .ending = entry.phase { return now }
            if earliest == nil || entry.session.leaseExpiresAt < earliest! {
                earliest = entry.session.leaseExpiresAt
            }
        }
        return max(now, earliest ?? now)
    }

    public mutating func updateLicense(_ newLicense: License) {
        precondition(newLicense.key == license.key, "a ledger belongs to one license")
        let recount = newLicense.seatCounting != license.seatCounting
        license = newLicense
        guard recount else { return }
        seatOccupants = [:]
        for entry in entries.values {
            if let name = seatName(of: entry.session) { seatOccupants[name, default: 0] += 1 }
        }
    }

    // MARK: Acquire

    public mutating func acquire(
        _ request: SeatRequest,
        now: Timestamp,
        policy: LeasePolicy,
        rules: LicenseRules = .unrestricted,
        waiting: QueueRequest? = nil,
        newToken: () -> SessionToken
    ) -> AcquireDecision {
        if let refusal = license.refusal(at: now) { return .refused(.license(refusal)) }

        // The holder's sessions that are not ending: attach to the newest pending or
        // unlapsed one; the lapsed ones are reclaimed by the new grant.
        let own = sessionsNotEnding(of: request.holder)
        let attachable = own.filter { entries[$0]!.phase == .pending || !entries[$0]!.session.isLapsed(at: now) }
        if let token = attachable.max(by: { entries[$0]!.session.createdAt < entries[$1]!.session.createdAt }) {
            holders[request.holder] = token
            // A waiter whose revived session it re-attaches to has a seat: it waits no more.
            if let place = queue.index(of: request.holder) { _ = queue.remove(at: place) }
            var entry = entries[token]!
            if entry.phase == .pending { return .attached(entry.session, durable: false) }
            // A borrow asked again gets the same lease: its expiry was signed and handed out.
            if entry.session.isBorrowed { return .attached(entry.session, durable: true) }
            entry.session.lastHeartbeatAt = now
            entry.session.leaseExpiresAt = policy.leaseExpiry(from: now)
            entry.storedHeartbeatAt = now  // the server stores every re-attach's renewal
            entries[token] = entry
            return .attached(entry.session, durable: true)
        }
        // A re-attach above is never refused by the policy: it is not a new grant.
        if let waiting, let reused = queue.waiters.firstIndex(where: { $0.id == waiting.id && $0.request.holder != request.holder }) {
            // The connection reused the request id of its wait for someone else: that wait
            // is given up, as news of both could not be told apart.
            _ = queue.remove(at: reused)
        }
        if let place = queue.index(of: request.holder) {
            // The holder waits already: its place decides, not this request.
            guard let waiting else { return .refused(noSeatsRefusal(now: now)) }
            let replaced = queue.refresh(at: place, id: waiting.id, request: request, now: now)
            return .queued(position: place + 1, replacing: replaced == waiting.id ? nil : replaced)
        }
        let priority = rules.priority(of: PolicySubject(request))
        var (admission, reclaim) = newSeatAdmission(of: request, reclaiming: own, now: now, rules: rules)
        if admission == .admitted, !sharesASeat(request, reclaiming: reclaim),
           waiterAhead(ofPriority: priority, couldTakeASeatAt: now, rules: rules) {
            // A seat is free for someone queued before this request: it is theirs. A
            // request that shares its user's (or host's) seat takes none, and never waits.
            admission = .noFreeSeat
        }
        switch admission {
        case .admitted:
            break
        case .noFreeSeat, .refused(.overMax), .refused(.reservedForOthers):
            let refusal = refusal(admission, now: now)
            guard let waiting, queue.count < waiting.maximumQueueLength else { return .refused(refusal) }
            return .queued(position: queue.enqueue(request, id: waiting.id, priority: priority, now: now), replacing: nil)
        case .refused:
            return .refused(refusal(admission, now: now))
        }
        let (session, reclaimed) = grant(request, reclaiming: reclaim, now: now, policy: policy, rules: rules, newToken: newToken)
        return .granted(session, reclaimed: reclaimed)
    }

    /// Reserves a seat for `request` as a pending session, ending the lapsed `reclaim`. A
    /// new seat past `seats` is overage, whether a newcomer or a waiter gets it; a shared
    /// seat keeps the flag it has.
    mutating func grant(
        _ request: SeatRequest, reclaiming reclaim: [SessionToken], now: Timestamp, policy: LeasePolicy, rules: LicenseRules, newToken: () -> SessionToken
    ) -> (Session, reclaimed: [Session]) {
        let seating = seats(reclaiming: reclaim, for: request)
        let overage = seating.shared.map { entries[$0]!.overage } ?? (seating.held >= license.seats)
        var reclaimed: [Session] = []
        for token in reclaim {
            entries[token]!.phase = .ending(.expired)
            reclaimed.append(entries[token]!.session)
        }
        var token = newToken()
        while entries[token] != nil { token = newToken() }
        var leaseExpiresAt = policy.leaseExpiry(from: now)
        var borrowLeaseID: UInt64?
        if let requested = request.borrowMilliseconds {
            leaseExpiresAt = now.adding(milliseconds: rules.borrowDuration(requested: requested))
            // A second draw of the token source: the lease id is public, the token secret.
            borrowLeaseID = newToken().high
        }
        let session = Session(
            token: token,
            licenseKey: license.key,
            user: request.user,
            hostname: request.hostname,
            hardwareID: request.hardwareID,
            clientVersion: request.clientVersion,
            clientAddress: request.clientAddress,
            createdAt: now,
            lastHeartbeatAt: now,
            leaseExpiresAt: leaseExpiresAt,
            accessKeyID: request.accessKeyID,
            borrowLeaseID: borrowLeaseID
        )
        insert(Entry(session: session, phase: .pending, storedHeartbeatAt: now, committed: false, overage: overage))
        holders[request.holder] = token
        // Every other session of the holder was lapsed and is now ending.
        crowdedHolders.remove(request.holder)
        return (session, reclaimed)
    }

    /// Whether `request` may take a new seat, first without the lapsed sessions of others
    /// and then reclaiming them: lapsed sessions hold seats (and count against maxima and
    /// reservations) only until someone needs them. `reclaim` are the sessions the grant ends.
    func newSeatAdmission(of request: SeatRequest, reclaiming own: [SessionToken], now: Timestamp, rules: LicenseRules) -> (Admission, reclaim: [SessionToken]) {
        let first = admission(of: request, reclaiming: own, rules: rules)
        if first == .admitted { return (first, own) }
        let lapsed = lapsedLiveTokens(at: now)
        return (admission(of: request, reclaiming: lapsed, rules: rules), lapsed)
    }

    func refusal(_ admission: Admission, now: Timestamp) -> AcquireRefusal {
        switch admission {
        case .refused(let refusal): .policy(refusal, seatsTotal: license.seats, seatsInUse: seatsInUse)
        case .admitted, .noFreeSeat: noSeatsRefusal(now: now)
        }
    }

    func noSeatsRefusal(now: Timestamp) -> AcquireRefusal {
        .noSeats(seatsTotal: license.seats, seatsInUse: seatsInUse, nextFreeAt: nextFreeAt(now: now))
    }

    /// The grant's commit succeeded: the session is live and the reclaimed ones are gone.
    public mutating func confirmGrant(_ token: SessionToken, reclaimed: [SessionToken]) {
        if entries[token]?.phase == .pending { entries[token]!.phase = .live }
        entries[token]?.committed = true
        finishEnd(reclaimed)
    }

    /// The grant's commit failed: give the seat back and revive the reclaimed sessions.
    public mutating func abortGrant(_ token: SessionToken, reclaimed: [SessionToken]) {
        if let entry = remove(token) {
            if holders[entry.session.holder] == token { holders[entry.session.holder] = nil }
        }
        abortEnd(reclaimed)
    }

    // MARK: Heartbeat

    public mutating func heartbeat(_ token: SessionToken, now: Timestamp, policy: LeasePolicy) -> HeartbeatOutcome {
        guard var entry = entries[token] else { return .refused(.unknownSession) }
        if case .ending(let end) = entry.phase { return .awaitingEnd(end) }
        if entry.session.isLapsed(at: now) {
            guard entry.phase == .live else { return .refused(.ended(.expired)) }
            entries[token]!.phase = .ending(.expired)
            return .expiring(entry.session)
        }
        if let refusal = license.refusal(at: now) { return .refused(.license(refusal)) }
        // A borrowed seat needs no heartbeat; one that comes anyway leaves the signed expiry.
        if entry.session.isBorrowed { return .extended(entry.session, store: false) }
        entry.session.lastHeartbeatAt = now
        entry.session.leaseExpiresAt = policy.leaseExpiry(from: now)
        let store = policy.storesHeartbeat(at: now, lastStored: entry.storedHeartbeatAt)
        if store { entry.storedHeartbeatAt = now }
        entries[token] = entry
        return .extended(entry.session, store: store)
    }

    // MARK: Ending sessions

    /// Starts ending a session (release, force-release, revocation). The seat stays
    /// taken until `finishEnd`, so a failed commit can never leave storage oversubscribed.
    public mutating func beginEnd(_ token: SessionToken, reason: SessionEnd) -> EndDecision {
        guard let entry = entries[token] else { return .unknownSession }
        if case .ending(let end) = entry.phase { return .alreadyEnding(end) }
        entries[token]!.phase = .ending(reason)
        return .ending(entry.session)
    }

    /// Starts ending every session whose lease has run out; returns them for the commit.
    public mutating func beginExpiry(now: Timestamp) -> [Session] {
        lapsedLiveTokens(at: now).map { token in
            entries[token]!.phase = .ending(.expired)
            return entries[token]!.session
        }
    }

    /// Starts ending every session that is not already ending (the license was deleted).
    public mutating func beginEndAll(reason: SessionEnd) -> [Session] {
        var ended: [Session] = []
        for (token, entry) in entries {
            if case .ending = entry.phase { continue }
            entries[token]!.phase = .ending(reason)
            ended.append(entry.session)
        }
        return ended
    }

    /// The ends were committed: free the seats.
    public mutating func finishEnd(_ tokens: [SessionToken]) {
        for token in tokens {
            guard let entry = entries[token], case .ending = entry.phase else { continue }
            remove(token)
            if holders[entry.session.holder] == token { holders[entry.session.holder] = nil }
        }
    }

    /// Ends the server decided on its own (expiry, revocation, a deleted license) that
    /// could not be committed. They stand: the sessions stay ending, so their seats stay
    /// taken and their heartbeats are refused (nothing extends a session the server has
    /// ended), and `retryEnds` hands them out again for the next attempt. Reviving them
    /// instead would let a revoked session heartbeat on, with no one to end it again.
    public mutating func deferEnd(_ tokens: [SessionToken]) {
        for token in tokens where entries[token]?.isEnding == true {
            entries[token]!.endAwaitingRetry = true
        }
    }

    /// The deferred ends, with their reasons, to commit again; each is in flight again
    /// (follow with `finishEnd` or `deferEnd`).
    public mutating func retryEnds() -> [(session: Session, end: SessionEnd)] {
        var retries: [(session: Session, end: SessionEnd)] = []
        for (token, entry) in entries where entry.endAwaitingRetry {
            guard case .ending(let end) = entry.phase else { continue }
            entries[token]!.endAwaitingRetry = false
            retries.append((entry.session, end))
        }
        return retries
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The ends could not be committed and were asked for by the holder (a release),
    /// who is told it failed: the sessions are live again (or pending again, if their
    /// grant is still being committed).
    public mutating func abortEnd(_ tokens: [SessionToken]) {
        for token in tokens {
            guard let entry = entries[token], entry.isEnding else { continue }
            entries[token]!.phase = entry.committed ? .live : .pending
            let holder = entry.session.holder
            if let current = holders[holder], current != token, let other = entries[current], !other.isEnding {
                // The holder got another session meanwhile: it now has two.
                crowdedHolders.insert(holder)
            } else {
                holders[holder] = token
            }
        }
    }

    /// Whether `request` may take a new seat once `reclaim` have ended: every other entry
    /// (pending, live or ending) holds its seat. The overage allowance is a seat like any
    /// other here (a policy's reservations and maxima apply to it); only the flag differs,
    /// and a borrow may not use it.
    func admission(of request: SeatRequest, reclaiming reclaim: [SessionToken], rules: LicenseRules) -> Admission {
        let seating = seats(reclaiming: reclaim, for: request)
        let borrowing = request.borrowMilliseconds != nil
        if borrowing {
            let borrowed = borrowedSeats(reclaiming: reclaim, for: request)
            if let refusal = rules.borrowRefusal(of: PolicySubject(request), borrowedSeats: borrowed.count, addsSeat: !borrowed.includesRequest) {
                return .refused(refusal)
            }
        }
        // A borrow never takes the overage: its signed lease cannot be called back, and the
        // allowance is for peaks, not for seats taken away for days.
        let seatsAllowed = borrowing ? license.seats : license.seatsAllowed
        if let shared = seating.shared {
            if borrowing, entries[shared]!.overage { return .noFreeSeat }
            return rules.access(of: PolicySubject(request)).map(Admission.refused) ?? .admitted
        }
        // Without a policy only the count matters: no list of holders on every acquire.
        guard !rules.isUnrestricted else { return seating.held < seatsAllowed ? .admitted : .noFreeSeat }
        return rules.admission(of: PolicySubject(request), holders: seatHolders(reclaiming: reclaim), seats: seatsAllowed)
    }

    /// The seats out on borrow once `reclaim` have ended (one per borrowed session, or per
    /// seat name with a borrowed session on it under user or host counting), and whether
    /// the seat `request` would take is one of them already.
    private func borrowedSeats(reclaiming reclaim: [SessionToken], for request: SeatRequest) -> (count: Int, includesRequest: Bool) {
        let reclaimed = Set(reclaim)
        let borrowed = entries.values.lazy.map(\.session).filter { $0.isBorrowed && !reclaimed.contains($0.token) }
        guard let name = license.seatCounting.seatName(user: request.user, hardwareID: request.hardwareID) else {
            return (borrowed.count, false)
        }
        let names = Set(borrowed.compactMap(seatName(of:)))
        return (names.count, names.contains(name))
    }

    /// The seats still held once `reclaim` have ended, and the first session (by creation,
    /// then token) of the seat `request` would share, if a live session that is not
    /// ending holds it. A seat held only by sessions being ended, or by a grant still being
    /// committed, is not shared: either may come to nothing (and a grant in flight may count
    /// on the seat freeing, or on the sessions it reclaims), so a new session on it needs a
    /// free seat, as a new seat would.
    private func seats(reclaiming reclaim: [SessionToken], for request: SeatRequest) -> (held: Int, shared: SessionToken?) {
        guard let name = license.seatCounting.seatName(user: request.user, hardwareID: request.hardwareID) else {
            return (entries.count - reclaim.count, nil)
        }
        var leaving: [String: Int] = [:]
        for token in reclaim { leaving[seatName(of: entries[token]!.session)!, default: 0] += 1 }
        let emptied = leaving.count { seatOccupants[$0.key] == $0.value }
        guard (seatOccupants[name] ?? 0) > (leaving[name] ?? 0) else { return (seatOccupants.count - emptied, nil) }
        let reclaimed = Set(reclaim)
        let first = entries.filter { !reclaimed.contains($0.key) && $0.value.phase == .live && seatName(of: $0.value.session) == name }
            .min { SeatCounting.precedes($0.value.session, $1.value.session) }
        return (seatOccupants.count - emptied, first?.key)
    }

    /// Whether `request` would share a live seat of its user (or host) once `reclaim` have
    /// ended, taking no seat of its own.
    func sharesASeat(_ request: SeatRequest, reclaiming reclaim: [SessionToken]) -> Bool {
        seats(reclaiming: reclaim, for: request).shared != nil
    }

    /// One subject per seat held once `reclaim` have ended, for the policy to count seats.
    private func seatHolders(reclaiming reclaim: [SessionToken]) -> [PolicySubject] {
        let reclaimed = Set(reclaim)
        return license.seatCounting.seatHolders(of: entries.lazy.filter { !reclaimed.contains($0.key) }.map(\.value.session))
    }

    private func seatName(of session: Session) -> String? {
        license.seatCounting.seatName(user: session.user, hardwareID: session.hardwareID)
    }

    private mutating func insert(_ entry: Entry) {
        entries[entry.session.token] = entry
        if let name = seatName(of: entry.session) { seatOccupants[name, default: 0] += 1 }
    }

    @discardableResult
    private mutating func remove(_ token: SessionToken) -> Entry? {
        guard let entry = entries.removeValue(forKey: token) else { return nil }
        if let name = seatName(of: entry.session) {
            seatOccupants[name]! -= 1
            if seatOccupants[name] == 0 { seatOccupants[name] = nil }
        }
        return entry
    }

    /// The holder's sessions that are pending or live.
    mutating func sessionsNotEnding(of holder: Holder) -> [SessionToken] {
        guard crowdedHolders.contains(holder) else {
            if let token = holders[holder], let entry = entries[token], !entry.isEnding { return [token] }
            return []
        }
        let tokens = entries.compactMap { token, entry in
            entry.session.holder == holder && !entry.isEnding ? token : nil
        }
        if tokens.count <= 1 {
            crowdedHolders.remove(holder)
            if let token = tokens.first { holders[holder] = token }
        }
        return tokens
    }

    func lapsedLiveTokens(at now: Timestamp) -> [SessionToken] {
        entries.compactMap { token, entry in
            entry.phase == .live && entry.session.isLapsed(at: now) ? token : nil
        }
    }
}
