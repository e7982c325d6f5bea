/// Why an acquire was refused.
public enum AcquireRefusal: Sendable, Equatable {
    case license(LicenseRefusal)
    /// Every seat is taken. `nextFreeAt` is the earliest time a seat may free up
    /// (the earliest lease expiry), so a client can decide whether to wait.
    case noSeats(seatsTotal: Int, seatsInUse: Int, nextFreeAt: Timestamp)
    /// The site policy refused it (the license itself could have been used).
    case policy(PolicyRefusal, seatsTotal: Int, seatsInUse: Int)
}

/// What the ledger decided for an acquire. `granted` and `attached(durable: false)`
/// must be made durable by the caller before the client is told.
public enum AcquireDecision: Sendable, Equatable {
    /// The holder already has this session (idempotent re-acquire or re-attach after a
    /// network blip). If `durable` is false its grant is still being committed: wait for
    /// that commit before answering. A durable, not borrowed one has its lease renewed:
    /// store the renewal (lazily), as the ledger counts it stored.
    case attached(Session, durable: Bool)
    /// A new session, reserved as pending. `reclaimed` are lapsed sessions the grant
    /// ends in the same commit. Follow with `confirmGrant` or `abortGrant`.
    case granted(Session, reclaimed: [Session])
    case refused(AcquireRefusal)
    /// No seat for now, and the request asked to wait: it holds 1-based place `position`
    /// in the license's queue. `replacing` is the wait of the same holder this one took
    /// over (it queued again, perhaps from another connection), which hears no more.
    case queued(position: Int, replacing: WaiterID?)
}

/// Why a heartbeat was refused.
public enum HeartbeatRefusal: Sendable, Equatable {
    /// This ledger has no such session (the caller may know it as a tombstone).
    case unknownSession
    /// The session has ended (or its lease ran out): acquire again.
    case ended(SessionEnd)
    /// The session exists but its license can no longer be used.
    case license(LicenseRefusal)
}

public enum HeartbeatOutcome: Sendable, Equatable {
    /// The lease is renewed; `store`: write the renewal to storage (lazily), or not
    /// (`LeasePolicy.storesHeartbeat`; a borrowed seat's unchanged expiry never).
    case extended(Session, store: Bool)
    case refused(HeartbeatRefusal)
    /// The lease had run out: the session is now ending as expired. Commit its end (then
    /// `finishEnd`, or `deferEnd` on failure) before telling the holder, so a restart can
    /// never bring back a session a client was told had expired.
    case expiring(Session)
    /// An end is being committed or waits for a retry: answer once it is durable.
    case awaitingEnd(SessionEnd)
}

/// What the ledger decided for a release, force-release or revocation.
public enum EndDecision: Sendable, Equatable {
    /// The session is now ending: commit its end, then `finishEnd` (or `abortEnd`).
    case ending(Session)
    /// Another end is already being committed.
    case alreadyEnding(SessionEnd)
    case unknownSession
}
