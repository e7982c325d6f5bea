import SeatCore
import SeatProtocol
import SeatStorage

/// The license's queue as the server carries it out: the ledger decides who gets a freed
/// seat; the actor stores each such grant like any other, and only then pushes it to the
/// waiting connection, with position changes and ended waits (protocol-spec.md 9a).
extension LicenseActor {
    /// Gives every seat the rules let a waiter take to the first such waiter, then tells
    /// those who moved up. Called wherever a seat may have freed up.
    func serveQueue() {
        guard !retired, !ledger.queue.isEmpty else { return }
        let rules = sitePolicy.value.rules(for: ledger.license)
        let grants = ledger.admitWaiters(now: clock.now(), policy: livePolicy.value, rules: rules) { SessionToken.fromSystemRandom() }
        for grant in grants {
            announcedPositions[grant.waiter.id] = nil
            commitGrant(grant.session, reclaimed: grant.reclaimed) { actor, result in actor.finishWaiterGrant(grant, result) }
        }
        announcePositions()
    }

    private func finishWaiterGrant(_ grant: WaiterGrant, _ result: Result<Void, StorageError>) {
        let reclaimed = grant.reclaimed.map(\.token)
        switch result {
        case .failure(let error):
            ledger.abortGrant(grant.session.token, reclaimed: reclaimed)
            answerReattaches(grant.session.token)
            logger.warning("grant to a waiter not stored", metadata: ["license": "\(key)", "error": "\(error)"])
            let reply = ErrorReply(SeatFailure.storage(error))
            notifyEnded(grant.waiter.id, reason: .refused, code: reply.rawCode, message: reply.message)
        case .success:
            settleGrant(grant.session, reclaimed: reclaimed)
            connections.forget(reclaimed)
            waitObserver(.milliseconds(grant.session.createdAt.millisecondsSinceEpoch - grant.waiter.since.millisecondsSinceEpoch), ledger.license)
            let interval = UInt32(clamping: livePolicy.value.heartbeatIntervalMilliseconds)
            let notice = QueueGrantNotice(waitID: grant.waiter.id.request, grant: AcquireGrant(success(grant.session, reattached: false), heartbeatInterval: interval))
            connections.notifyWait(grant.waiter.id, .queueGranted(notice))
        }
    }

    /// Pushes each waiter's place where it changed since last told.
    private func announcePositions() {
        let positions = ledger.queue.positions
        for (id, position) in positions where announcedPositions[id] != position {
            connections.notifyWait(id, .queuePosition(QueuePositionNotice(waitID: id.request, place: place(position))))
        }
        announcedPositions = positions
    }

    func place(_ position: Int) -> QueuePlace {
        QueuePlace(
            position: UInt32(clamping: position), waiting: UInt32(clamping: ledger.queue.count),
            seatsTotal: UInt32(clamping: ledger.seatsTotal), seatsInUse: UInt32(clamping: ledger.seatsInUse)
        )
    }

    /// Tells the connections of waits the ledger gave up why, and the others their new place.
    func endWaits(_ ids: [WaiterID], reason: WaitEndReason, code: UInt16 = 0, message: String) {
        for id in ids { notifyEnded(id, reason: reason, code: code, message: message) }
        announcePositions()
    }

    private func notifyEnded(_ id: WaiterID, reason: WaitEndReason, code: UInt16, message: String) {
        announcedPositions[id] = nil
        connections.notifyWait(id, .waitEnded(WaitEndedNotice(waitID: id.request, reason: reason, code: code, message: message)))
    }

    /// The license cannot be used (revoked, deleted, suspended, expired): every wait ends
    /// with the error an Acquire would get.
    func endAllWaits(_ failure: SeatFailure) {
        let waiters = ledger.removeAllWaiters()
        guard !waiters.isEmpty else { return }
        let reply = ErrorReply(failure)
        endWaits(waiters.map(\.id), reason: .refused, code: reply.rawCode, message: reply.message)
    }

    /// Gives up the waits not asked for within a lease, and all of them once the license
    /// can no longer be used.
    func sweepQueue(now: Timestamp) {
        if let refusal = ledger.license.refusal(at: now) { return endAllWaits(.license(refusal)) }
        let lapsed = ledger.removeLapsedWaiters(before: now.adding(milliseconds: -livePolicy.value.leaseMilliseconds))
        guard !lapsed.isEmpty else { return }
        endWaits(lapsed.map(\.id), reason: .lapsed, message: "the place in the queue was not asked for again in time")
    }

    /// The connection closed: its waits lose their places, and those behind move up.
    func dropWaits(onConnection connection: UInt64) {
        let dropped = ledger.removeWaiters(onConnection: connection)
        guard !dropped.isEmpty else { return }
        for waiter in dropped { announcedPositions[waiter.id] = nil }
        announcePositions()
    }

    /// Everyone waiting, in queue order.
    var waiters: [Waiter] { ledger.queue.waiters }
}

extension AcquireGrant {
    init(_ success: AcquireSuccess, heartbeatInterval: UInt32) {
        self.init(
            token: success.session.token,
            leaseExpiresAt: success.session.leaseExpiresAt,
            heartbeatIntervalMilliseconds: heartbeatInterval,
            seatsTotal: UInt32(clamping: success.license.seats),
            seatsInUse: UInt32(clamping: success.seatsInUse),
            reattached: success.reattached,
            tier: success.license.tier,
            licenseExpiresAt: success.license.expiresAt,
            features: success.license.features,
            overage: GrantOverage(overageSeats: UInt32(clamping: success.license.overageAllowance), isOverage: success.overage)
        )
    }
}
