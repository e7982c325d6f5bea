import SeatCore

/// A waiter as the model keeps it.
struct ModelWaiter: Equatable {
    var id: WaiterID
    var request: SeatRequest
    var priority: Int
    var since: Timestamp
    var refreshedAt: Timestamp
}

/// The queue side of the randomized ledger model (invariant 9): the documented queue rules
/// (protocol-spec.md 9a) computed by scanning every waiter, without the ledger's shortcuts.
extension ModelRun {
    func priority(of subject: PolicySubject) -> Int {
        rules.priorities.filter { $0.principal.matches(subject) }.map(\.count).max() ?? 0
    }

    /// The waiter's lapsed sessions, or `nil` when it holds a seat it could re-attach to
    /// (a failed release revived it after it queued): such a waiter takes no seat.
    func ownSessions(_ holder: Holder) -> Set<SessionToken>? {
        let own = entries.filter { $0.value.session.holder == holder && !$0.value.ending }
        if own.values.contains(where: { $0.phase == .pending || !$0.session.isLapsed(at: now) }) { return nil }
        return Set(own.keys)
    }

    /// Whether the rules admit a waiter now (to a new seat, or to share its user's or host's).
    func couldTakeASeat(_ waiter: ModelWaiter) -> Bool {
        guard let own = ownSessions(waiter.request.holder) else { return false }
        return newSeatAdmission(waiter.request, own: own).0 == .admitted
    }

    /// Whether a waiter of `priority` or higher could take a new seat now: no other shall. A
    /// waiter that would share a seat takes none from anyone.
    func waiterAhead(ofPriority priority: Int) -> Bool {
        waiters.contains { waiter in
            guard waiter.priority >= priority, let own = ownSessions(waiter.request.holder) else { return false }
            let (admission, reclaim) = newSeatAdmission(waiter.request, own: own)
            return admission == .admitted && !sharesASeat(waiter.request, reclaiming: reclaim)
        }
    }

    /// A holder that waits is answered from its place: refreshed (and taken over) by a
    /// waiting acquire, refused `noSeats` by a plain one. Returns whether it waited.
    mutating func answeredFromItsPlace(_ holder: Holder, _ request: SeatRequest, waitID: WaiterID?, _ decision: AcquireDecision, draws: [SessionToken]) throws -> Bool {
        if let waitID { waiters.removeAll { $0.id == waitID && $0.request.holder != holder } }
        guard let place = waiters.firstIndex(where: { $0.request.holder == holder }) else { return false }
        try check(draws.isEmpty, "a waiter's acquire drew tokens")
        guard let waitID else {
            let expected = AcquireDecision.refused(.noSeats(seatsTotal: license.seats, seatsInUse: min(license.seatsAllowed, seatsHeld(entries.values.map(\.session))), nextFreeAt: nextFreeAt()))
            try check(decision == expected, "a waiter's plain acquire: expected \(expected), got \(decision)")
            stats.noSeats += 1
            return true
        }
        let previous = waiters[place].id
        try check(decision == .queued(position: place + 1, replacing: previous == waitID ? nil : previous), "requeue at \(place + 1) from \(previous): got \(decision)")
        waiters[place].id = waitID
        waiters[place].request = request
        waiters[place].refreshedAt = now
        stats.requeued += 1
        return true
    }

    /// A request that got no seat: queued behind every waiter of its priority or higher if
    /// it waits, the refusal can be cured by waiting, and the queue has room. Returns
    /// whether it was queued.
    mutating func queued(_ request: SeatRequest, waitID: WaiterID?, _ result: Admission, _ decision: AcquireDecision, draws: [SessionToken]) throws -> Bool {
        guard let waitID else { return false }
        switch result {
        case .noFreeSeat, .refused(.overMax), .refused(.reservedForOthers): break
        default: return false
        }
        guard waiters.count < Self.maximumQueueLength else {
            stats.queueFull += 1
            return false
        }
        let priority = priority(of: PolicySubject(request))
        let index = waiters.firstIndex { $0.priority < priority } ?? waiters.endIndex
        try check(decision == .queued(position: index + 1, replacing: nil), "expected queued at \(index + 1), got \(decision)")
        try check(draws.isEmpty, "queuing drew tokens")
        waiters.insert(ModelWaiter(id: waitID, request: request, priority: priority, since: now, refreshedAt: now), at: index)
        stats.queued += 1
        return true
    }

    /// Freed seats go to waiters in queue order, each to the first the rules admit.
    mutating func admitWaiters() throws {
        var generator = rng
        let grants = ledger.admitWaiters(now: now, policy: policy, rules: rules) { SessionToken.random(using: &generator) }
        rng = generator
        if logging { log.append("t=\(now) admitWaiters -> \(grants.map { "\($0.waiter.id) \($0.session.token)" })") }
        var granted = grants[...]
        var index = 0
        while index < waiters.count {
            let waiter = waiters[index]
            let subject = PolicySubject(waiter.request)
            guard license.refusal(at: now) == nil, couldTakeASeat(waiter), let own = ownSessions(waiter.request.holder) else {
                index += 1
                continue
            }
            let reclaim = newSeatAdmission(waiter.request, own: own).reclaim
            guard let grant = granted.popFirst() else { throw ModelFailure(message: "waiter \(waiter.id) could take a seat but got none") }
            // Invariant 9: the seat goes to the first waiter that can take it (everyone
            // ahead was just found unable to).
            try check(grant.waiter.id == waiter.id, "seat went to \(grant.waiter.id), expected \(waiter.id) at place \(index + 1)")
            try check(Set(grant.reclaimed.map(\.token)) == reclaim, "waiter grant reclaimed \(grant.reclaimed.map(\.token)), expected \(reclaim)")
            try check(entries[grant.session.token] == nil, "waiter granted token \(grant.session.token) already in use")
            let expected = Session(
                token: grant.session.token, licenseKey: license.key, user: waiter.request.user, hostname: waiter.request.hostname,
                hardwareID: waiter.request.hardwareID, clientVersion: waiter.request.clientVersion, clientAddress: waiter.request.clientAddress,
                createdAt: now, lastHeartbeatAt: now, leaseExpiresAt: policy.leaseExpiry(from: now)
            )
            try check(grant.session == expected, "waiter granted \(grant.session), expected \(expected)")
            // Invariant 1: the waiter's seat fits once the sessions it reclaims are gone, or
            // it shares one its user (host) holds.
            let remaining = entries.filter { !reclaim.contains($0.key) }.map(\.value.session)
            let sharing = firstOfSeat(named: seatName(waiter.request.user, waiter.request.hardwareID), in: remainingLive(reclaim))
            let heldAfter = seatsHeld(remaining + [grant.session])
            try check(sharing != nil || heldAfter <= license.seatsAllowed, "waiter grant over capacity: \(heldAfter) seats of \(license.seatsAllowed)")
            try check(sharing == nil || heldAfter == seatsHeld(remaining), "a shared waiter grant took a seat")
            // Invariant 7: a waiter's new seat past `seats` is overage like any other.
            let overage = sharing.map { entries[$0.token]!.overage } ?? (seatsHeld(remaining) >= license.seats)
            try check(ledger.isOverage(grant.session.token) == overage, "waiter grant flagged overage \(ledger.isOverage(grant.session.token)), model \(overage)")
            if overage { stats.overageWaiterGrants += 1 }
            if sharing != nil { stats.sharedWaiterGrants += 1 }
            try check(!rules.excludes.contains { $0.matches(subject) }, "granted to excluded waiter \(subject)")
            for token in reclaim {
                entries[token]!.phase = .ending(.expired)
                // A lapsed borrow's seat goes to the queue like any other (invariant 10).
                if entries[token]!.session.isBorrowed { stats.borrowExpiries += 1; stats.borrowSeatsToWaiters += 1 }
            }
            entries[grant.session.token] = Entry(session: grant.session, phase: .pending, storedHeartbeatAt: grant.session.lastHeartbeatAt, confirmed: false, overage: overage)
            inFlight.append(.grant(grant.session.token, reclaimed: grant.reclaimed.map(\.token)))
            issued.append(grant.session.token)
            waiters.remove(at: index)
            stats.waiterGrants += 1
            if !reclaim.isEmpty { stats.reclaimingGrants += 1 }
        }
        try check(granted.isEmpty, "granted to waiters the rules do not admit: \(granted.map(\.waiter.id))")
        // Invariant 9: no waiter the rules admit is left waiting.
        if license.refusal(at: now) == nil {
            for waiter in waiters {
                try check(!couldTakeASeat(waiter), "waiter \(waiter.id) left waiting with a seat it could take")
            }
        }
    }

    /// A connection closes, places lapse, or the license's queue is emptied.
    mutating func removeWaiters() throws {
        switch random(3) {
        case 0:
            let connection = UInt64(random(3))
            let removed = ledger.removeWaiters(onConnection: connection)
            if logging { log.append("t=\(now) connection \(connection) closed -> \(removed.map(\.id))") }
            try check(removed.map(\.id) == waiters.filter { $0.id.connection == connection }.map(\.id), "closing \(connection) removed \(removed.map(\.id))")
            waiters.removeAll { $0.id.connection == connection }
            stats.waitersDropped += removed.count
        case 1:
            let cutoff = now.adding(milliseconds: -policy.leaseMilliseconds)
            let removed = ledger.removeLapsedWaiters(before: cutoff)
            if logging { log.append("t=\(now) lapsed waits -> \(removed.map(\.id))") }
            try check(removed.map(\.id) == waiters.filter { $0.refreshedAt < cutoff }.map(\.id), "lapsing removed \(removed.map(\.id))")
            waiters.removeAll { $0.refreshedAt < cutoff }
            stats.waitersDropped += removed.count
        default:
            guard chance(20) else { return }
            let removed = ledger.removeAllWaiters()
            try check(removed.map(\.id) == waiters.map(\.id), "emptying removed \(removed.map(\.id))")
            waiters = []
        }
    }

    func checkQueue() throws {
        let actual = ledger.queue.waiters.map {
            ModelWaiter(id: $0.id, request: $0.request, priority: $0.priority, since: $0.since, refreshedAt: $0.refreshedAt)
        }
        try check(actual == waiters, "queue \(actual.map(\.id)), model \(waiters.map(\.id))")
        try check(waiters.count <= Self.maximumQueueLength, "queue grew to \(waiters.count)")
        try check(Set(waiters.map(\.request.holder)).count == waiters.count, "a holder waits twice")
        for (index, waiter) in waiters.enumerated() {
            try check(ledger.queue.position(of: waiter.id) == index + 1, "position of \(waiter.id)")
        }
    }
}
