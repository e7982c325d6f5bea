import SeatCore
import SeatProtocol

/// A moment as the lease sees it: monotonic time for scheduling (immune to clock steps),
/// and the wall clock only to compare with times the server sends (`nextFreeAt`).
struct LeaseMoment: Sendable, Equatable {
    /// Monotonic time since an origin chosen by the driver.
    var monotonic: Duration
    /// The wall clock now.
    var wall: Timestamp
}

/// The decisions of a lease, with no I/O: which request to make next, when, and what each
/// outcome means (reconnect, re-attach, re-acquire, back off, give up). Time and randomness
/// are passed in, so every path is unit-tested without sockets; `LeaseDriver` performs the
/// actions and feeds their outcomes back, strictly one at a time.
struct LeaseStateMachine<Random: RandomNumberGenerator> {
    /// What the driver should do next.
    enum Action: Equatable {
        /// Close any connection and connect to the server at this index of the list.
        case connect(server: Int)
        /// Send Acquire on the connection.
        case acquire
        /// Send AcquireOrWait on the connection: wait in the server's queue (first acquire
        /// with `waitForSeat`), or ask again for the place held there.
        case acquireOrWait
        /// Send Heartbeat for this session on the connection; give up on its reply after `timeout`.
        case heartbeat(SessionToken, timeout: Duration)
        /// Sleep until this monotonic time (or until cancelled), then report `.slept`.
        case sleep(until: Duration)
        /// Nothing more to do: the lease has ended (or the first acquire failed).
        case finish
    }

    /// What happened when the driver performed an action.
    enum Outcome: Equatable {
        /// Connected; `lease` is the lease length the server grants (HelloAccepted).
        case connected(server: Int, lease: Duration)
        case connectFailed(server: Int, LeaseFailure)
        case acquired(AcquireGrant)
        case heartbeatAccepted(HeartbeatAccepted)
        case requestFailed(LeaseFailure)
        case slept
        /// The server pushed SessionRevoked (protocol-spec.md 7.9) on the connection.
        case sessionRevoked(SessionRevokedNotice)
        /// AcquireOrWait was answered Queued: the lease waits in the server's queue.
        case queued(QueuePlace)
        /// The server pushed news of the wait (protocol-spec.md 7.13–7.15).
        case queueNews(QueueNews)
    }

    /// How the first acquire went.
    enum Start: Equatable {
        case pending
        case granted(AcquireGrant)
        case failed(LeaseFailure)
    }

    /// The session held now.
    private struct Held {
        var grant: AcquireGrant
        var nextHeartbeatAt: Duration
        /// The earliest the lease can run out (monotonic): the server renewed it to its
        /// "now" plus the lease length when the last successful request reached it, which
        /// was after that request was sent. Immune to a skew between the two wall clocks.
        var confirmedUntil: Duration
        /// The last moment to heartbeat with time to spare for a retry before `confirmedUntil`.
        var lastSafeHeartbeatAt: Duration
    }

    private let options: LeaseOptions
    private let requestTimeout: Duration
    private var random: Random
    private let startDeadline: Duration

    private(set) var start = Start.pending
    /// The state last reported; nil until the first grant.
    private(set) var state: LeaseState?
    /// Whether the lease has ended; `nextAction` then answers `.finish`.
    private(set) var isFinished = false

    /// The lease length the current connection's server grants; nil while not connected.
    private var connectionLease: Duration?
    /// The server last connected to: the one a request's refusal comes from.
    private var connectedServer = 0
    private var nextServer = 0
    /// The servers tried since the last useful answer (or back-off).
    private var round: ServerRound
    /// When the request awaiting its outcome was sent (monotonic).
    private var requestSentAt: Duration?
    private var held: Held?
    /// After a reconnect or retry, the session must be confirmed by a heartbeat at once.
    private var mustConfirmSession = false
    /// The session a re-acquire replaces, to tell the application whether it got it back.
    private var replacedSession: SessionToken?
    private var retryAt: Duration?
    private var consecutiveFailures = 0
    /// Retries made past the last safe heartbeat moment since the session was last confirmed.
    private var hurriedRetries = 0
    /// While the first acquire waits in the server's queue: when the place was last
    /// confirmed (monotonic). Nil when not queued, and after the connection is lost.
    private var queuedAt: Duration?
    /// The server answered AcquireOrWait with unknownMessageType: it has no queue, so the
    /// lease polls with Acquire as before.
    private var serverHasNoQueue = false

    /// - Parameters:
    ///   - servers: the configured servers, in order (at least 1); a standby's `notActive`
    ///     leads to the active node only if it is one of them.
    ///   - requestTimeout: how long to wait for a reply; a heartbeat waits no longer than
    ///     the lease has left.
    ///   - startedAt: the monotonic time of the first acquire; `options.waitForSeat` counts from it.
    init(servers: [ServerEndpoint], options: LeaseOptions, requestTimeout: Duration, random: Random, startedAt: Duration) {
        self.round = ServerRound(servers: servers)
        self.options = options
        self.requestTimeout = requestTimeout
        self.random = random
        self.startDeadline = startedAt + options.waitForSeat
    }

    /// The session held now, if any.
    var session: SessionToken? { held?.grant.token }

    /// The latest lease expiry the server confirmed for the session held now.
    var leaseExpiresAt: Timestamp? { held?.grant.leaseExpiresAt }

    // MARK: Deciding

    mutating func nextAction(now: LeaseMoment) -> Action {
        if isFinished { return .finish }
        if let retryAt, now.monotonic < retryAt { return .sleep(until: retryAt) }
        retryAt = nil
        guard let connectionLease else { return .connect(server: nextServer) }
        guard let held else {
            if let queuedAt {
                if now.monotonic >= startDeadline { return waitedInVain() }
                // Ask for the place again well within the server's lease (its queue heartbeat).
                let refreshAt = min(queuedAt + connectionLease / 3, startDeadline)
                if now.monotonic < refreshAt { return .sleep(until: refreshAt) }
            }
            requestSentAt = now.monotonic
            return waitsInQueue ? .acquireOrWait : .acquire
        }
        guard mustConfirmSession || now.monotonic >= held.nextHeartbeatAt else { return .sleep(until: held.nextHeartbeatAt) }
        requestSentAt = now.monotonic
        return .heartbeat(held.grant.token, timeout: heartbeatTimeout(held, now: now))
    }

    /// Whether the next acquire waits in the server's queue: only the first, when the
    /// application allows waiting and the server has a queue.
    private var waitsInQueue: Bool { start == .pending && options.waitForSeat > .zero && !serverHasNoQueue }

    /// The wait for the first seat is over without one: fail as a refused Acquire would.
    private mutating func waitedInVain() -> Action {
        queuedAt = nil
        start = .failed(.server(ErrorReply(code: .noSeats, message: "no seat became free within the wait")))
        isFinished = true
        return .finish
    }

    /// The request timeout, but no longer than the lease has left: a reply that comes
    /// later is no use, and giving up leaves time to retry on a new connection. Once less
    /// than `shortestHeartbeatTimeout` is left, the full timeout: the seat stands or falls
    /// by this answer (renewed, perhaps by a restarted server's extension, or
    /// `sessionExpired`), and a busy server could not give it sooner.
    private func heartbeatTimeout(_ held: Held, now: LeaseMoment) -> Duration {
        let left = held.confirmedUntil - now.monotonic
        return left >= Self.shortestHeartbeatTimeout ? min(requestTimeout, left) : requestTimeout
    }

    /// Takes an outcome into account and returns the new state when it changed (for the
    /// application to see).
    mutating func handle(_ outcome: Outcome, now: LeaseMoment) -> LeaseState? {
        guard !isFinished else { return nil }
        switch outcome {
        case .slept:
            return nil
        case .connected(let server, let lease):
            connectionLease = lease
            connectedServer = server
            // A new connection holds no place in any queue.
            queuedAt = nil
            // The next reconnect starts again from the preferred server.
            nextServer = 0
            return nil
        case .connectFailed(let server, let failure):
            connectionLease = nil
            if case .server(let reply) = failure {
                // Authenticate is part of connecting; its refusals are not about this server.
                switch ReplyDisposition(reply) {
                case .notAuthenticated:
                    return endForGood(.notAuthenticated, reply: reply)
                case .throttled(let retryAfter):
                    nextServer = 0
                    return retryLater(after: failure, now: now, notBefore: retryAfter)
                case .standby(let activeNode):
                    // Already reconnecting (or starting): nothing new to report.
                    return nextInRound(after: server, activeNode: activeNode) != nil ? nil : retryLater(after: failure, now: now)
                default:
                    break
                }
            }
            // Try the next server at once; back off only after a whole round failed.
            return nextInRound(after: server, activeNode: nil) != nil ? nil : retryLater(after: failure, now: now)
        case .acquired(let grant):
            return granted(grant, now: now)
        case .heartbeatAccepted(let accepted):
            return confirmed(accepted, now: now)
        case .requestFailed(let failure):
            return failed(failure, now: now)
        case .sessionRevoked(let notice):
            return revokedByNotice(notice)
        case .queued:
            consecutiveFailures = 0
            round.startOver()
            queuedAt = now.monotonic
            return nil
        case .queueNews(let news):
            return queueNews(news, now: now)
        }
    }

    /// A push about the wait: the seat (stored by the server before it was pushed), or the
    /// end of the wait. Place changes are for the application only.
    private mutating func queueNews(_ news: QueueNews, now: LeaseMoment) -> LeaseState? {
        guard queuedAt != nil, held == nil else { return nil }
        switch news {
        case .moved:
            return nil
        case .granted(let notice):
            queuedAt = nil
            return granted(notice.grant, now: now)
        case .ended(let notice):
            switch notice.reason {
            case .superseded:
                // This lease's own next ask (a new request id) moved the place: nothing ended.
                return nil
            case .lapsed:
                queuedAt = nil  // queue again at once
                return nil
            case .refused:
                queuedAt = nil
                return failed(.server(ErrorReply(rawCode: notice.code, message: notice.message)), now: now)
            }
        }
    }

    /// Whether `stop()` found the lease running, and the session it held.
    enum Stop: Equatable {
        case stopped(holding: SessionToken?)
        case alreadyStopped
    }

    /// Stops the lease on the application's request (release or cancel). Only the caller
    /// that gets `.stopped` goes on to release and to record the final state with `end`.
    mutating func stop() -> Stop {
        guard !isFinished else { return .alreadyStopped }
        isFinished = true
        return .stopped(holding: held?.grant.token)
    }

    /// Records the final state of a lease the application stopped (released or cancelled).
    mutating func end(_ final: LeaseState) -> LeaseState? {
        held = nil
        return report(final)
    }

    // MARK: Outcomes

    private mutating func granted(_ grant: AcquireGrant, now: LeaseMoment) -> LeaseState? {
        consecutiveFailures = 0
        round.startOver()
        hurriedRetries = 0
        mustConfirmSession = false
        held = schedule(grant, now: now)
        if start == .pending {
            start = .granted(grant)
            return report(.held(grant))
        }
        let recovery: LeaseRecovery = grant.token == replacedSession ? .sameSession : .newSession(replacing: replacedSession)
        replacedSession = nil
        return report(.regained(grant, recovery))
    }

    private mutating func confirmed(_ accepted: HeartbeatAccepted, now: LeaseMoment) -> LeaseState? {
        guard var grant = held?.grant else { return nil }
        consecutiveFailures = 0
        round.startOver()
        hurriedRetries = 0
        grant.leaseExpiresAt = accepted.leaseExpiresAt
        grant.heartbeatIntervalMilliseconds = accepted.heartbeatIntervalMilliseconds
        let held = schedule(grant, now: now)
        self.held = held
        var wasInterrupted = mustConfirmSession
        if case .reconnecting = state { wasInterrupted = true }
        mustConfirmSession = false
        return wasInterrupted ? report(.regained(held.grant, .sameSession)) : nil
    }

    private mutating func failed(_ failure: LeaseFailure, now: LeaseMoment) -> LeaseState? {
        if case .server(let reply) = failure, reply.code == .unknownMessageType, waitsInQueue {
            // A server without a queue: acquire and retry as before, at once.
            serverHasNoQueue = true
            return nil
        }
        guard case .server(let reply) = failure else {
            // Timeout or closed connection: this connection is done for.
            connectionLease = nil
            queuedAt = nil
            return retryLater(after: failure, now: now)
        }
        switch ReplyDisposition(reply) {
        case .reconnect:
            connectionLease = nil
            return retryLater(after: failure, now: now)
        case .throttled(let retryAfter):
            connectionLease = nil
            return retryLater(after: failure, now: now, notBefore: retryAfter)
        case .notAuthenticated:
            return endForGood(.notAuthenticated, reply: reply)
        case .retryLater:
            return retryLater(after: failure, now: now)
        case .noSeats(let total, let inUse, let nextFreeAt):
            return noSeats(total: total, inUse: inUse, nextFreeAt: nextFreeAt, reply: reply, now: now)
        case .sessionGone(let reason):
            return sessionGone(reason, reply: reply)
        case .licenseUnusable:
            return endForGood(.licenseUnusable, reply: reply)
        case .refused:
            return endForGood(.refused, reply: reply)
        case .standby(let activeNode):
            return standby(naming: activeNode, failure: failure, now: now)
        }
    }

    /// The server of this connection is a standby (protocol-spec.md 9b): on at once to the
    /// active node it names, if configured, else to the next server; back off only once
    /// the round has tried them all. The session is re-attached there as after any reconnect.
    private mutating func standby(naming activeNode: String, failure: LeaseFailure, now: LeaseMoment) -> LeaseState? {
        connectionLease = nil
        queuedAt = nil
        guard nextInRound(after: connectedServer, activeNode: activeNode) != nil else { return retryLater(after: failure, now: now) }
        if held != nil { mustConfirmSession = true }
        guard start != .pending else { return nil }
        return report(.reconnecting(LeaseInterruption(
            attempt: consecutiveFailures + 1, cause: failure, retryIn: .zero,
            session: held?.grant.token, lastConfirmedExpiry: held?.grant.leaseExpiresAt
        )))
    }

    /// Sets the next server of the round after `server` (the active node a standby named,
    /// when configured and not yet tried); nil when the round is over: the caller backs
    /// off, and the next round starts from the first server.
    private mutating func nextInRound(after server: Int, activeNode: String?) -> Int? {
        guard let next = round.next(after: server, activeNode: activeNode) else {
            nextServer = 0
            return nil
        }
        nextServer = next
        return next
    }

    /// The server says the session ended (force-released, license revoked or deleted): the
    /// same as a heartbeat answered `sessionRevoked`, without waiting for that heartbeat.
    /// A notice about a session this lease no longer holds changes nothing.
    private mutating func revokedByNotice(_ notice: SessionRevokedNotice) -> LeaseState? {
        guard held?.grant.token == notice.token else { return nil }
        return sessionGone(.revoked, reply: ErrorReply(code: .sessionRevoked, message: notice.message))
    }

    /// Schedules the next attempt with backoff (and not before `notBefore`, when the server
    /// said how long to wait). While starting, gives up at the wait deadline (making one
    /// last attempt exactly at it).
    private mutating func retryLater(after failure: LeaseFailure, now: LeaseMoment, notBefore: Duration? = nil) -> LeaseState? {
        var delay = nextBackoff()
        if let held {
            mustConfirmSession = true
            delay = hurried(delay, keeping: held, now: now)
        }
        delay = max(delay, notBefore ?? .zero)
        guard start != .pending else {
            scheduleWhileStarting(delay, failure: failure, now: now)
            return nil
        }
        retryAt = now.monotonic + delay
        return report(.reconnecting(LeaseInterruption(
            attempt: consecutiveFailures, cause: failure, retryIn: delay,
            session: held?.grant.token, lastConfirmedExpiry: held?.grant.leaseExpiresAt
        )))
    }

    private mutating func noSeats(total: UInt32, inUse: UInt32, nextFreeAt: Timestamp?, reply: ErrorReply, now: LeaseMoment) -> LeaseState? {
        var delay = nextBackoff()
        if let nextFreeAt {
            // A release frees a seat at once (polling catches it), but an expiry frees one
            // exactly at nextFreeAt: never sleep past it.
            let untilFree = Duration.milliseconds(nextFreeAt.millisecondsSinceEpoch - now.wall.millisecondsSinceEpoch) + Self.nextFreeMargin
            delay = min(delay, max(untilFree, Self.minimumSeatPoll))
        }
        guard start != .pending else {
            scheduleWhileStarting(delay, failure: .server(reply), now: now)
            return nil
        }
        retryAt = now.monotonic + delay
        return report(.waitingForSeat(SeatShortage(seatsTotal: total, seatsInUse: inUse, nextFreeAt: nextFreeAt, retryIn: delay)))
    }

    private mutating func scheduleWhileStarting(_ delay: Duration, failure: LeaseFailure, now: LeaseMoment) {
        if now.monotonic >= startDeadline {
            start = .failed(failure)
            isFinished = true
        } else {
            retryAt = min(now.monotonic + delay, startDeadline)
        }
    }

    private mutating func sessionGone(_ reason: LeaseLossReason, reply: ErrorReply) -> LeaseState? {
        guard let lost = held?.grant.token else {
            // Only a heartbeat can report a lost session; anything else is a server bug.
            return endForGood(.refused, reply: reply)
        }
        held = nil
        mustConfirmSession = false
        consecutiveFailures = 0
        round.startOver()
        hurriedRetries = 0
        let reacquire = switch options.onSessionLoss {
        case .stop: false
        case .reacquire: reason != .revoked
        case .reacquireEvenIfRevoked: true
        }
        let loss = LeaseLoss(session: lost, reason: reason, reply: reply, willReacquire: reacquire)
        if reacquire { replacedSession = lost } else { isFinished = true }
        return report(reason == .revoked ? .revoked(loss) : .lost(loss))
    }

    private mutating func endForGood(_ reason: LeaseLossReason, reply: ErrorReply) -> LeaseState? {
        isFinished = true
        guard start != .pending else {
            start = .failed(.server(reply))
            return nil
        }
        let loss = LeaseLoss(session: held?.grant.token, reason: reason, reply: reply, willReacquire: false)
        held = nil
        return report(reason == .licenseUnusable ? .revoked(loss) : .lost(loss))
    }

    // MARK: Helpers

    /// The session as confirmed now by `grant` (Acquired or HeartbeatAccepted) for the
    /// request sent at `requestSentAt`. The next heartbeat is due one advised interval
    /// after the reply, or at the last safe moment if that comes first: a reply that came
    /// late must not push the next heartbeat past the expiry.
    private func schedule(_ grant: AcquireGrant, now: LeaseMoment) -> Held {
        let interval = Duration.milliseconds(Int64(grant.heartbeatIntervalMilliseconds))
        let lease = connectionLease ?? .zero
        let confirmedUntil = (requestSentAt ?? now.monotonic) + lease
        // Half an interval: the time a heartbeat gets to fail and be retried before the
        // expiry (at most half the lease, for a server advising an interval as long as it).
        let lastSafe = confirmedUntil - min(interval, lease) / 2
        return Held(grant: grant, nextHeartbeatAt: min(now.monotonic + interval, lastSafe), confirmedUntil: confirmedUntil, lastSafeHeartbeatAt: lastSafe)
    }

    /// Shortens a retry's `delay` so that it never sleeps past the last safe heartbeat
    /// moment. Past that moment, the first retry goes at once and the later ones follow the
    /// backoff from its first step, so a refusal that comes back at once cannot spin.
    private mutating func hurried(_ delay: Duration, keeping held: Held, now: LeaseMoment) -> Duration {
        guard now.monotonic + delay > held.lastSafeHeartbeatAt else { return delay }
        if now.monotonic < held.lastSafeHeartbeatAt { return held.lastSafeHeartbeatAt - now.monotonic }
        defer { hurriedRetries += 1 }
        guard hurriedRetries > 0 else { return .zero }
        return options.backoff.delay(beforeAttempt: hurriedRetries, unitRandom: Double.random(in: 0..<1, using: &random))
    }

    /// Every back-off ends a round: the attempt after it may try every server again.
    private mutating func nextBackoff() -> Duration {
        consecutiveFailures += 1
        round.startOver()
        return options.backoff.delay(beforeAttempt: consecutiveFailures, unitRandom: Double.random(in: 0..<1, using: &random))
    }

    private mutating func report(_ new: LeaseState) -> LeaseState? {
        guard new != state else { return nil }
        state = new
        return new
    }

    /// Acquire this long after `nextFreeAt`, so the holder's lease has surely run out.
    static var nextFreeMargin: Duration { .milliseconds(50) }
    /// Never poll for a seat more often than this.
    static var minimumSeatPoll: Duration { .milliseconds(50) }
    /// A heartbeat's timeout is not cut shorter than this.
    static var shortestHeartbeatTimeout: Duration { .seconds(1) }
}
