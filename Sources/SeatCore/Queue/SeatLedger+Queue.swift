/// An acquire that may wait: where the server pushes to, and how long the queue may grow.
public struct QueueRequest: Sendable, Equatable {
    public var id: WaiterID
    /// Waiters of the license beyond which the request is refused instead of queued.
    public var maximumQueueLength: Int

    public init(id: WaiterID, maximumQueueLength: Int) {
        self.id = id
        self.maximumQueueLength = maximumQueueLength
    }
}

/// A seat given to a waiter, reserved as pending like any grant: commit it, then
/// `confirmGrant` (or `abortGrant`), and only then tell the waiter.
public struct WaiterGrant: Sendable, Equatable {
    public var waiter: Waiter
    public var session: Session
    /// Lapsed sessions the grant ends in the same commit.
    public var reclaimed: [Session]
}

/// The queue's rules: a freed seat goes to the first waiter in queue order that the seat
/// rules admit (a waiter held back by its own `max`, or by reservations for others, does
/// not block those behind it), and a newcomer never takes a seat such a waiter of its
/// priority or higher could take.
extension SeatLedger {
    /// Gives free seats to waiters, in queue order, as long as the rules admit one. Call it
    /// whenever a seat may have freed up (an end stored, a grant aborted, the license's
    /// seats or the policy changed, time passed leases) and after a request was queued.
    public mutating func admitWaiters(now: Timestamp, policy: LeasePolicy, rules: LicenseRules, newToken: () -> SessionToken) -> [WaiterGrant] {
        guard license.refusal(at: now) == nil else { return [] }
        var grants: [WaiterGrant] = []
        var index = 0
        while index < queue.count {
            let waiter = queue.waiters[index]
            guard let own = lapsedSessions(ofWaiter: waiter, now: now) else {
                index += 1
                continue
            }
            let (admission, reclaim) = newSeatAdmission(of: waiter.request, reclaiming: own, now: now, rules: rules)
            guard admission == .admitted else {
                if admission == .noFreeSeat, refusalHoldsForAllBehind(waiter, rules: rules) { break }
                index += 1
                continue
            }
            _ = queue.remove(at: index)
            let (session, reclaimed) = grant(waiter.request, reclaiming: reclaim, now: now, policy: policy, rules: rules, newToken: newToken)
            grants.append(WaiterGrant(waiter: waiter, session: session, reclaimed: reclaimed))
        }
        return grants
    }

    /// Whether a waiter of `priority` or higher could take a seat now: a request of
    /// `priority` must not take it first.
    mutating func waiterAhead(ofPriority priority: Int, couldTakeASeatAt now: Timestamp, rules: LicenseRules) -> Bool {
        for waiter in queue.waiters {
            guard waiter.priority >= priority else { return false }
            guard let own = lapsedSessions(ofWaiter: waiter, now: now) else { continue }
            let (admission, reclaim) = newSeatAdmission(of: waiter.request, reclaiming: own, now: now, rules: rules)
            // A waiter that would share its user's (or host's) seat takes no free one.
            if admission == .admitted, !sharesASeat(waiter.request, reclaiming: reclaim) { return true }
            if admission == .noFreeSeat, refusalHoldsForAllBehind(waiter, rules: rules) { return false }
        }
        return false
    }

    /// Whether no free seat for `waiter` means none for anyone behind it either: without
    /// rules only the count matters, under session counting (no one behind could share a
    /// seat) and unless the waiter is a borrow kept off an overage that others may use.
    func refusalHoldsForAllBehind(_ waiter: Waiter, rules: LicenseRules) -> Bool {
        rules.isUnrestricted && license.seatCounting == .session
            && (waiter.request.borrowMilliseconds == nil || license.overageAllowance == 0)
    }

    /// The waiter's own lapsed sessions (a grant reclaims them), or `nil` when it holds a
    /// seat already: a release that failed to store revived its session after it queued.
    /// Such a waiter takes no seat; its next acquire re-attaches and gives up its place.
    mutating func lapsedSessions(ofWaiter waiter: Waiter, now: Timestamp) -> [SessionToken]? {
        let own = sessionsNotEnding(of: waiter.request.holder)
        let holdsASeat = own.contains { entries[$0]!.phase == .pending || !entries[$0]!.session.isLapsed(at: now) }
        return holdsASeat ? nil : own
    }

    /// Gives up a wait (its connection asked, or the server did).
    public mutating func removeWaiter(_ id: WaiterID) -> Waiter? { queue.remove(id) }

    /// Gives up every wait of a connection: it closed.
    public mutating func removeWaiters(onConnection connection: UInt64) -> [Waiter] {
        queue.removeAll(onConnection: connection)
    }

    /// Gives up the waits not asked for again since `cutoff` (queue heartbeat missed).
    public mutating func removeLapsedWaiters(before cutoff: Timestamp) -> [Waiter] {
        queue.removeLapsed(before: cutoff)
    }

    /// Gives up every wait: the license can no longer be used.
    public mutating func removeAllWaiters() -> [Waiter] { queue.removeAll() }
}
