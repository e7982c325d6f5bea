import Foundation
import SeatCore
import Testing

/// Seeded randomized model test: random operation sequences against `SeatLedger` and an
/// independent reference model of the seat rules, comparing every decision and the
/// whole ledger state after every step, and checking the product invariants:
///
/// 1. No oversubscription: the most sessions storage could hold once every in-flight
///    commit has either succeeded or failed (`worstCaseStored`) never exceeds the seats
///    allowed (seats + overage allowance), except after `updateLicense` lowered them below
///    what was already held; and no grant is made unless it fits (counting the sessions
///    it reclaims as freed).
/// 2. Idempotency: a holder with a pending or unlapsed live session is attached to it;
///    a grant leaves its holder with exactly one non-ending session. A holder has two
///    non-ending sessions only after a failed end revived one next to a newer one.
/// 3. Lapsed sessions are reclaimed by a full license; confirm frees them, abort revives them.
/// 4. Seats stay taken until ends are finished; aborted ends make sessions live again;
///    deferred ends stay ending and come back from `retryEnds` exactly once.
/// 5. Reported seats in use never exceed seats + allowance, and the overage reported is
///    exactly the part past `seats`.
/// 6. Site policy (a random policy file in a third of the runs): every acquire is decided
///    as `ModelPolicy` computes the documented precedence; excluded users and hosts are
///    never granted, and a grant to a non-owner of a reservation leaves at least as many
///    free seats as the reservations have unused.
/// 7. Overage (a random allowance in half the runs): a grant (to a request or a waiter) is
///    flagged as overage exactly when every one of `seats` was held (reclaimed sessions not
///    counted), and keeps its flag.
/// 8. Seat counting (user or host counting in half the runs): a seat is a user (or a hardware
///    id) with any session, so every count above (storage's worst case, grants, seats in
///    use, maxima and reservations) counts seats, not sessions; under user counting the
///    distinct users holding seats never exceed seats + allowance. A new session of a user
///    (host) with a live session shares its seat: it is judged only by `exclude`/`include`,
///    takes its overage flag from the seat's first session, and the seat frees when its
///    last session ends.
/// 9. Queue (AcquireOrWait, in every run; `priority` rules in half of them): the queue
///    matches a model queue (priority, then arrival); a new seat is granted (to a request
///    or a waiter) only if no waiter of equal or higher priority that the rules admit to a
///    new seat is ahead; a request or waiter that shares a live seat of its user (host)
///    takes no seat, so it never waits for one and holds back no one; nothing is queued
///    while the overage allowance has room; after `admitWaiters` no waiter the rules admit
///    is left; closed connections and lapsed places leave the queue; it never grows past
///    its bound.
/// 10. Borrowing (two of the holders borrow; a Borrow never waits): a borrowed seat
///    counts like any other (invariant 1 includes it), needs no heartbeat and is never
///    renewed, ends at its expiry; `borrow deny` and `borrow_max_seats` (random in half the runs) are obeyed,
///    and no grant leaves more borrowed seats than `borrow_max_seats`. A borrow is held
///    back for waiters like any request (invariant 9), and a lapsed borrow's seat goes to
///    the queue like any other.
///
/// Reproduce a failure with `SEATCORE_MODEL_SEED=<seed> SWIFT_DETERMINISTIC_HASHING=1 swift test --filter SeatLedgerModel`
/// (the ledger's dictionary order, and so the order of some results, depends on hash seeding).
@Suite("SeatLedger: randomized model")
struct SeatLedgerModelTests {
    static let holders: [Holder] = [
        Holder(user: "u0", hardwareID: "h0"),
        Holder(user: "u0", hardwareID: "h1"),
        Holder(user: "u1", hardwareID: "h0"),
        Holder(user: "u2", hardwareID: "h0"),
        Holder(user: "u3", hardwareID: "h2"),
        // Borrowers: one shares its user and machine with an ordinary holder above.
        Holder(user: "u1", hardwareID: "h0", borrowing: true),
        Holder(user: "u4", hardwareID: "h3", borrowing: true),
    ]

    static let chunks = 4
    /// 600 seeds in all by default (the suite's share of two cores, about 14 s of CPU in a
    /// debug build); `SEATCORE_MODEL_SEEDS=2000` or more explores further with the same checks.
    static let seedsPerChunk = (ProcessInfo.processInfo.environment["SEATCORE_MODEL_SEEDS"].flatMap(Int.init) ?? 600) / chunks
    static let steps = 200

    /// A coverage floor measured at 500 seeds per chunk, scaled to the seeds run.
    static func floor(_ atFiveHundred: Int) -> Int { atFiveHundred * seedsPerChunk / 500 }

    /// 4 × 150 seeded sequences of 200 steps, in parallel chunks.
    @Test("random operation sequences match the reference model and keep the invariants", arguments: 0..<chunks)
    func randomSequences(chunk: Int) async throws {
        let seeds: [UInt64]
        if let text = ProcessInfo.processInfo.environment["SEATCORE_MODEL_SEED"], let seed = UInt64(text) {
            guard chunk == 0 else { return }
            seeds = [seed]
        } else {
            let first = 0x5EA7_D000 + UInt64(chunk * Self.seedsPerChunk)
            seeds = (0..<UInt64(Self.seedsPerChunk)).map { first + $0 }
        }
        var stats = ModelRun.Stats()
        for seed in seeds {
            var run = ModelRun(seed: seed, holders: Self.holders, logging: seeds.count == 1)
            do {
                try run.run(steps: Self.steps)
            } catch let failure as ModelFailure {
                // Run the same seed again, logging this time (same process, same hash seed,
                // so the same sequence).
                var replay = ModelRun(seed: seed, holders: Self.holders, logging: true)
                try? replay.run(steps: run.step + 1)
                Issue.record(Comment(rawValue: """
                    model test failed with seed \(seed) at step \(run.step): \(failure.message)
                    reproduce: SEATCORE_MODEL_SEED=\(seed) SWIFT_DETERMINISTIC_HASHING=1 swift test --filter SeatLedgerModel
                    last operations:
                    \(replay.log.suffix(30).joined(separator: "\n"))
                    """))
                return
            }
            stats.add(run.stats)
            // A chunk is seconds of CPU: between seeds, the other tests' jobs get the
            // cooperative pool's two threads (their timeouts run on it).
            await Task.yield()
        }
        // Make sure the generator actually exercises the interesting paths (per chunk).
        if seeds.count > 1 {
            #expect(stats.grants > Self.floor(3_000))
            // Waiters now take many lapsed seats, and queue steps take a share of the run.
            #expect(stats.reclaimingGrants > Self.floor(250))
            #expect(stats.attachedDurable > Self.floor(1_200))
            #expect(stats.attachedPending > Self.floor(1_000))
            #expect(stats.noSeats > Self.floor(4_000))
            #expect(stats.licenseRefusals > Self.floor(3_000))
            #expect(stats.abortedGrants > Self.floor(900))
            #expect(stats.abortedEnds > Self.floor(250) && stats.deferredEnds > Self.floor(250))
            #expect(stats.tokenCollisions > Self.floor(320))
            #expect(stats.duplicateHolders > Self.floor(20))
            #expect(stats.overLoweredSeats > Self.floor(5_000))
            #expect(stats.heartbeatsExtended > Self.floor(2_000) && stats.heartbeatsExpired > Self.floor(350))
            // Both kinds of renewal: stored, and within half an interval of the stored one.
            #expect(stats.heartbeatsStored > Self.floor(400) && stats.heartbeatsExtended - stats.heartbeatsStored > Self.floor(1_000))
            #expect(stats.policyRefusals > Self.floor(1_000) && stats.reservedGrants > Self.floor(200))
            #expect(stats.overageGrants > Self.floor(600) && stats.overageInUseSteps > Self.floor(5_000), "overage grants \(stats.overageGrants), steps \(stats.overageInUseSteps)")
            #expect(stats.sharedGrants > Self.floor(400) && stats.sharedSeatSteps > Self.floor(12_000), "\(stats.sharedGrants) shared grants, \(stats.sharedSeatSteps) steps with a shared seat")
            // Fewer waiter grants and full queues than without borrowing: the two borrowing
            // holders never wait, and their borrows are often held back for waiters. Fewer
            // requests queue than without the overage (a free overage seat is a free seat),
            // and queue steps leave fewer acquires for overage grants.
            #expect(stats.queued > Self.floor(2_000) && stats.requeued > Self.floor(500) && stats.waiterGrants > Self.floor(1_000),
                    "queued \(stats.queued), requeued \(stats.requeued), waiter grants \(stats.waiterGrants)")
            #expect(stats.heldForWaiters > Self.floor(100) && stats.queueFull > Self.floor(90) && stats.waitersDropped > Self.floor(230),
                    "held for waiters \(stats.heldForWaiters), queue full \(stats.queueFull), dropped \(stats.waitersDropped)")
            #expect(stats.overageWaiterGrants > 0 && stats.sharedWaiterGrants > 0,
                    "waiter grants on the overage \(stats.overageWaiterGrants), sharing a seat \(stats.sharedWaiterGrants)")
            #expect(stats.borrowGrants > Self.floor(600) && stats.borrowRefusals > Self.floor(100) && stats.borrowExpiries > Self.floor(100),
                    "borrows \(stats.borrowGrants), refused \(stats.borrowRefusals), expired \(stats.borrowExpiries)")
            #expect(stats.borrowsHeldForWaiters > Self.floor(300) && stats.borrowSeatsToWaiters > Self.floor(3),
                    "borrows held for waiters \(stats.borrowsHeldForWaiters), lapsed borrows reclaimed by waiters \(stats.borrowSeatsToWaiters)")
        }
    }
}

struct ModelFailure: Error {
    var message: String
}

/// One seeded run: the real ledger, the model, and the commits in flight.
struct ModelRun {
    struct Stats {
        var grants = 0, reclaimingGrants = 0, attachedDurable = 0, attachedPending = 0
        var noSeats = 0, licenseRefusals = 0, abortedGrants = 0, abortedEnds = 0, deferredEnds = 0
        var tokenCollisions = 0, duplicateHolders = 0, overLoweredSeats = 0
        var heartbeatsExtended = 0, heartbeatsExpired = 0, heartbeatsStored = 0
        var policyRefusals = 0, reservedGrants = 0
        var overageGrants = 0, overageInUseSteps = 0, sharedGrants = 0, sharedSeatSteps = 0
        var queued = 0, requeued = 0, waiterGrants = 0, heldForWaiters = 0, queueFull = 0, waitersDropped = 0
        var overageWaiterGrants = 0, sharedWaiterGrants = 0
        var borrowGrants = 0, borrowRefusals = 0, borrowExpiries = 0
        var borrowsHeldForWaiters = 0, borrowSeatsToWaiters = 0

        mutating func add(_ other: Stats) {
            grants += other.grants; reclaimingGrants += other.reclaimingGrants
            attachedDurable += other.attachedDurable; attachedPending += other.attachedPending
            noSeats += other.noSeats; licenseRefusals += other.licenseRefusals
            abortedGrants += other.abortedGrants; abortedEnds += other.abortedEnds; deferredEnds += other.deferredEnds
            tokenCollisions += other.tokenCollisions; duplicateHolders += other.duplicateHolders
            overLoweredSeats += other.overLoweredSeats
            heartbeatsExtended += other.heartbeatsExtended; heartbeatsExpired += other.heartbeatsExpired
            heartbeatsStored += other.heartbeatsStored
            policyRefusals += other.policyRefusals; reservedGrants += other.reservedGrants
            overageGrants += other.overageGrants; overageInUseSteps += other.overageInUseSteps
            sharedGrants += other.sharedGrants; sharedSeatSteps += other.sharedSeatSteps
            queued += other.queued; requeued += other.requeued; waiterGrants += other.waiterGrants
            heldForWaiters += other.heldForWaiters; queueFull += other.queueFull; waitersDropped += other.waitersDropped
            overageWaiterGrants += other.overageWaiterGrants; sharedWaiterGrants += other.sharedWaiterGrants
            borrowGrants += other.borrowGrants; borrowRefusals += other.borrowRefusals; borrowExpiries += other.borrowExpiries
            borrowsHeldForWaiters += other.borrowsHeldForWaiters; borrowSeatsToWaiters += other.borrowSeatsToWaiters
        }
    }

    struct Entry: Equatable {
        var session: Session
        var phase: SeatLedger.Phase
        /// The last heartbeat given to storage (the grant's until one is stored).
        var storedHeartbeatAt: Timestamp
        /// Whether its grant was confirmed (restored or confirmed sessions); decides the phase
        /// a failed end returns it to.
        var confirmed: Bool
        /// Granted past `seats`.
        var overage = false
        var ending: Bool { if case .ending = phase { true } else { false } }
    }

    enum InFlight: CustomStringConvertible {
        case grant(SessionToken, reclaimed: [SessionToken])
        case end([SessionToken])
        var description: String {
            switch self {
            case .grant(let token, let reclaimed): "grant \(token) reclaiming \(reclaimed)"
            case .end(let tokens): "end \(tokens)"
            }
        }
    }

    let holders: [Holder]
    let policy = testPolicy
    /// The site policy of this run (unrestricted in two runs of three).
    var rules = LicenseRules.unrestricted
    var rng: SplitMix64
    var ledger: SeatLedger
    var now: Timestamp

    // The model.
    var license: License
    var entries: [SessionToken: Entry] = [:]
    var inFlight: [InFlight] = []
    /// The bound for `worstCaseStored`: the seats allowed, or more right after they were lowered.
    var allowed: Int
    /// Holders allowed two non-ending sessions, because a failed end revived one.
    var duplicateHolders: Set<Holder> = []
    /// Ends whose commit failed and that wait for `retryEnds`.
    var deferred: Set<SessionToken> = []
    /// Every token ever issued, for heartbeats and ends on finished sessions.
    var issued: [SessionToken] = []
    /// The model queue, in the order seats go to it (`SeatLedgerModelQueue.swift`).
    var waiters: [ModelWaiter] = []
    static let maximumQueueLength = 3

    var step = 0
    /// Describing decisions is slow (reflection), so only a replay of a failing seed logs.
    let logging: Bool
    var log: [String] = []
    var stats = Stats()

    init(seed: UInt64, holders: [Holder], logging: Bool) {
        self.holders = holders
        self.logging = logging
        rng = SplitMix64(seed: seed)
        now = Timestamp(millisecondsSinceEpoch: 1_000_000)
        let seats = Int(rng.next() % 4) + 1
        var generator = rng
        license = License(key: "LIC-1", seats: seats, overage: Self.randomOverage { Int(generator.next() % UInt64($0)) },
                          seatCounting: Self.randomCounting { Int(generator.next() % UInt64($0)) })
        rng = generator
        ledger = SeatLedger(license: license)
        allowed = license.seatsAllowed
        if rng.next() % 3 == 0 {
            var generator = rng
            let text = ModelPolicy.randomText(seats: seats) { Int(generator.next() % UInt64($0)) }
            rng = generator
            rules = try! SitePolicyParser.parse(text, file: "model.policy").rules(for: license)
        }
        if rng.next() % 2 == 0 {
            rules.priorities = (0..<(1 + rng.next() % 3)).map { _ in
                LicenseRules.Limit(Int(rng.next() % 5) - 1, .user("u\(rng.next() % 4)"))
            }
        }
        if rng.next() % 2 == 0 {
            rules.borrowMaxSeats = Int(rng.next() % 3)
            if rng.next() % 3 == 0 { rules.borrowDenies = [.user("u4")] }
        }
    }

    /// No overage in half the runs; otherwise a count or a factor (some rounding to none).
    static func randomOverage(_ random: (Int) -> Int) -> Overage {
        switch random(6) {
        case 0, 1, 2: .none
        case 3: .seats(random(2) + 1)
        case 4: .factor(thousandths: 1250)
        default: .factor(thousandths: [1500, 2000][random(2)])
        }
    }

    /// Session counting in half the runs, user or host counting in a quarter each.
    static func randomCounting(_ random: (Int) -> Int) -> SeatCounting {
        [.session, .session, .user, .host][random(4)]
    }

    mutating func random(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { random(100) < percent }

    func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ModelFailure(message: message()) }
    }

    mutating func run(steps: Int) throws {
        for i in 0..<steps {
            step = i
            let roll = random(100)
            switch roll {
            case 0..<30: try acquire()
            case 30..<42: try heartbeat()
            case 42..<50: try beginEnd()
            case 50..<55: try beginExpiry()
            case 55..<56: try beginEndAll()
            case 56..<58: try retryEnds()
            case 58..<76: resolve()
            case 76..<84: try admitWaiters()
            case 84..<86: try removeWaiters()
            case 86..<97: advanceClock()
            default: updateLicense()
            }
            try checkState()
        }
    }

    // MARK: Operations

    mutating func acquire() throws {
        let holder = holders[random(holders.count)]
        let req = SeatRequest(
            licenseKey: "LIC-1", user: holder.user, hostname: "host-\(random(3))",
            hardwareID: holder.hardwareID, clientVersion: "v\(random(2))", clientAddress: "10.0.0.\(random(9))",
            // Mostly borrows that lapse within a run; some past the maximum, which caps them.
            borrowMilliseconds: holder.borrowing ? (chance(5) ? 400 * 3_600_000 : Int64(random(3_000)) + 1) : nil
        )
        // A Borrow has no waiting form: only acquires wait.
        let waitID = chance(50) && !holder.borrowing ? WaiterID(connection: UInt64(random(3)), request: UInt32(1 + random(3))) : nil
        let waiting = waitID.map { QueueRequest(id: $0, maximumQueueLength: Self.maximumQueueLength) }
        let existing = sortedTokens()
        var draws: [SessionToken] = []
        var collisions = 0
        var generator = rng
        let decision = ledger.acquire(req, now: now, policy: policy, rules: rules, waiting: waiting) {
            // Sometimes hand out a token that is already in use: the ledger must draw again.
            if !existing.isEmpty, generator.next() % 100 < 15 {
                collisions += 1
                let t = existing[Int(generator.next() % UInt64(existing.count))]
                draws.append(t)
                return t
            }
            let t = SessionToken.random(using: &generator)
            draws.append(t)
            return t
        }
        rng = generator
        stats.tokenCollisions += collisions
        if logging { log.append("t=\(now) acquire \(holder.user)/\(holder.hardwareID) waiting \(waitID.map(\.description) ?? "no") -> \(decision)") }

        if let refusal = license.refusal(at: now) {
            try check(decision == .refused(.license(refusal)), "expected license refusal \(refusal), got \(decision)")
            try check(draws.isEmpty, "refusal drew tokens")
            stats.licenseRefusals += 1
            return
        }

        let mine = entries.filter { $0.value.session.holder == holder && !$0.value.ending }
        let attachable = mine.filter { $0.value.phase == .pending || !$0.value.session.isLapsed(at: now) }
        if !attachable.isEmpty {
            waiters.removeAll { $0.request.holder == holder }
            guard case .attached(let session, let durable) = decision else {
                throw ModelFailure(message: "holder has \(attachable.keys) but got \(decision)")
            }
            let entry = try attachableEntry(session.token, attachable)
            try check(draws.isEmpty, "attach drew tokens")
            if entry.phase == .pending {
                try check(!durable, "attached to a pending session as durable")
                try check(session == entry.session, "attach to pending changed the session")
                stats.attachedPending += 1
            } else if entry.session.isBorrowed {
                // A borrow asked again gets its signed lease back: nothing renews it.
                try check(durable, "attached to a live borrowed session as not durable")
                try check(session == entry.session, "attach to a borrowed session changed it: \(session) vs \(entry.session)")
                stats.attachedDurable += 1
            } else {
                var renewed = entry.session
                renewed.lastHeartbeatAt = now
                renewed.leaseExpiresAt = policy.leaseExpiry(from: now)
                try check(durable, "attached to a live session as not durable")
                try check(session == renewed, "attach to live did not renew: \(session) vs \(renewed)")
                entries[session.token]!.session = renewed
                entries[session.token]!.storedHeartbeatAt = now  // the server stores every re-attach
                stats.attachedDurable += 1
            }
            return
        }

        if try answeredFromItsPlace(holder, req, waitID: waitID, decision, draws: draws) { return }
        // No attachable session: the holder's lapsed ones are reclaimed, and a license that
        // is full (or whose policy refuses) reclaims every lapsed live session.
        let subject = PolicySubject(req)
        var (result, reclaim) = newSeatAdmission(req, own: Set(mine.keys))
        if result == .admitted, !sharesASeat(req, reclaiming: reclaim), waiterAhead(ofPriority: priority(of: subject)) {
            result = .noFreeSeat
            stats.heldForWaiters += 1
            if holder.borrowing { stats.borrowsHeldForWaiters += 1 }
        }
        if result != .admitted {
            let seatsInUse = min(license.seatsAllowed, seatsHeld(entries.values.map(\.session)))
            if try queued(req, waitID: waitID, result, decision, draws: draws) { return }
            switch result {
            case .admitted:
                break
            case .noFreeSeat:
                let expected = AcquireDecision.refused(.noSeats(seatsTotal: license.seats, seatsInUse: seatsInUse, nextFreeAt: nextFreeAt()))
                try check(decision == expected, "expected \(expected), got \(decision)")
                try check(draws.isEmpty, "noSeats drew tokens")
                stats.noSeats += 1
                return
            case .refused(let refusal):
                let expected = AcquireDecision.refused(.policy(refusal, seatsTotal: license.seats, seatsInUse: seatsInUse))
                try check(decision == expected, "expected \(expected), got \(decision)")
                try check(draws.isEmpty, "a policy refusal drew tokens")
                stats.policyRefusals += 1
                if holder.borrowing { stats.borrowRefusals += 1 }
                return
            }
        }
        guard case .granted(let session, let reclaimed) = decision else {
            throw ModelFailure(message: "expected a grant reclaiming \(reclaim), got \(decision)")
        }
        let reclaimedTokens = reclaimed.map(\.token)
        try check(Set(reclaimedTokens) == reclaim && reclaimedTokens.count == reclaim.count,
                  "reclaimed \(reclaimedTokens), expected \(reclaim)")
        for r in reclaimed {
            try check(r == entries[r.token]?.session, "reclaimed session content differs: \(r)")
        }
        try check(entries[session.token] == nil, "granted token \(session.token) already in use")
        // A borrow draws once more after its token, for its lease id.
        let tokenDraws = holder.borrowing ? draws.dropLast() : draws[...]
        try check(tokenDraws.last == session.token, "granted token was not the last drawn for it")
        try check(tokenDraws.dropLast().allSatisfy { entries[$0] != nil }, "a fresh token was skipped")
        var expected = Session(
            token: session.token, licenseKey: license.key, user: req.user, hostname: req.hostname,
            hardwareID: req.hardwareID, clientVersion: req.clientVersion, clientAddress: req.clientAddress,
            createdAt: now, lastHeartbeatAt: now, leaseExpiresAt: policy.leaseExpiry(from: now)
        )
        if let requested = req.borrowMilliseconds {
            expected.leaseExpiresAt = now.adding(milliseconds: min(requested, 168 * 3_600_000))
            expected.borrowLeaseID = draws.last?.high
            // Invariant 10: the grant leaves no more borrowed seats than the policy allows (a
            // borrow sharing a seat already out on borrow adds none).
            let borrowedBefore = Set(entries.filter { !reclaim.contains($0.key) && $0.value.session.isBorrowed }.map { seat(of: $0.value.session) })
            let borrowedAfter = borrowedBefore.union([seat(of: session)]).count
            try check(borrowedAfter == borrowedBefore.count || borrowedAfter <= rules.borrowMaxSeats ?? .max,
                      "\(borrowedAfter) borrowed seats, at most \(rules.borrowMaxSeats!) allowed")
            try check(!rules.borrowDenies.contains { $0.matches(subject) }, "a borrow granted to denied \(subject)")
            stats.borrowGrants += 1
        }
        try check(session == expected, "granted \(session), expected \(expected)")
        // Invariant 1: the grant fits once the sessions it reclaims are gone.
        let remaining = entries.filter { !reclaim.contains($0.key) }.map(\.value.session)
        let sharing = firstOfSeat(named: seatName(req.user, req.hardwareID), in: remainingLive(reclaim))
        let heldAfter = seatsHeld(remaining + [session])
        // (A session sharing a held seat takes none, even of a license lowered below its holders.)
        try check(sharing != nil || heldAfter <= license.seatsAllowed,
                  "grant over capacity: \(heldAfter) seats held after it, \(reclaim.count) reclaimed, \(license.seatsAllowed) allowed")
        try check(sharing == nil || heldAfter == seatsHeld(remaining), "a shared grant took a seat")
        // Invariants 7 and 8.
        let overage = sharing.map { entries[$0.token]!.overage } ?? (seatsHeld(remaining) >= license.seats)
        try check(ledger.isOverage(session.token) == overage, "grant flagged overage \(ledger.isOverage(session.token)), model \(overage)")
        try check(!(overage && holder.borrowing), "a borrow granted on the overage")
        if overage { stats.overageGrants += 1 }
        if sharing != nil { stats.sharedGrants += 1 }
        // Invariant 6: the policy's exclusions and reservations hold after the grant.
        let holdersAfter = seatRepresentatives(remaining + [session])
        try check(!rules.excludes.contains { $0.matches(subject) }, "granted to excluded \(subject)")
        if sharing != nil {
            // No seat taken: reservations and maxima are as they were.
        } else if rules.reservations.contains(where: { $0.principal.matches(subject) }) {
            stats.reservedGrants += 1
        } else {
            let unused = rules.reservedSeats - ModelPolicy.reservedSeatsInUse(rules.reservations, holdersAfter)
            try check(license.seatsAllowed - holdersAfter.count >= unused, "granted to \(subject) a seat reserved for others: \(unused) reserved unused")
        }

        for token in reclaim {
            entries[token]!.phase = .ending(.expired)
            if entries[token]!.session.isBorrowed { stats.borrowExpiries += 1 }
        }
        entries[session.token] = Entry(session: session, phase: .pending, storedHeartbeatAt: session.lastHeartbeatAt, confirmed: false, overage: overage)
        inFlight.append(.grant(session.token, reclaimed: reclaimedTokens))
        issued.append(session.token)
        stats.grants += 1
        if !reclaim.isEmpty { stats.reclaimingGrants += 1 }
        // Invariant 2: after a grant its holder has exactly one non-ending session.
        try check(nonEnding(of: holder) == 1, "holder \(holder) has \(nonEnding(of: holder)) non-ending sessions after a grant")
    }

    /// What the rules decide for a new seat: first with the holder's own lapsed sessions
    /// reclaimed, then, if that is not enough, with every lapsed live session reclaimed.
    func newSeatAdmission(_ request: SeatRequest, own: Set<SessionToken>) -> (Admission, reclaim: Set<SessionToken>) {
        let first = admission(request, reclaiming: own)
        if first == .admitted { return (first, own) }
        let lapsed = Set(entries.filter { $0.value.phase == .live && $0.value.session.isLapsed(at: now) }.keys)
        return (admission(request, reclaiming: lapsed), lapsed)
    }

    /// What the documented rules decide for `request` once `reclaim` have ended: a borrow's
    /// rules first (deny, then allow, then the borrowed-seat limit, which counts seats and so
    /// holds no borrow that shares a seat already out on borrow); then a session sharing a
    /// held seat only needs access, but a borrow may not share an overage seat; a new seat is
    /// judged with one subject per seat, a borrow's within `seats` (never the overage).
    func admission(_ request: SeatRequest, reclaiming reclaim: Set<SessionToken>) -> Admission {
        let remaining = entries.filter { !reclaim.contains($0.key) }.map(\.value.session)
        let subject = PolicySubject(request)
        let borrowing = request.borrowMilliseconds != nil
        let requestSeat = seatName(request.user, request.hardwareID)
        if borrowing {
            if let denying = rules.borrowDenies.first(where: { $0.matches(subject) }) { return .refused(.borrowNotAllowed(denying)) }
            let borrowedSeats = Set(remaining.filter(\.isBorrowed).map(seat(of:)))
            let addsSeat = requestSeat.map { !borrowedSeats.contains($0) } ?? true
            if addsSeat, let limit = rules.borrowMaxSeats, borrowedSeats.count >= limit { return .refused(.overBorrowMax(limit: limit)) }
        }
        if let sharing = firstOfSeat(named: requestSeat, in: remainingLive(reclaim)) {
            if borrowing, entries[sharing.token]!.overage { return .noFreeSeat }
            return ModelPolicy.access(rules, subject).map(Admission.refused) ?? .admitted
        }
        return ModelPolicy.admission(rules, subject, holders: seatRepresentatives(remaining), seats: borrowing ? license.seats : license.seatsAllowed)
    }

    // MARK: Seats (invariant 8)

    func seatName(_ user: String, _ hardwareID: String) -> String? {
        switch license.seatCounting {
        case .session: nil
        case .user: "user " + user
        case .host: "host " + hardwareID
        }
    }

    /// What seat `session` is on: its name, or the session itself under session counting.
    func seat(of session: Session) -> String {
        seatName(session.user, session.hardwareID) ?? "session \(session.token)"
    }

    func seatsHeld(_ sessions: [Session]) -> Int { Set(sessions.map(seat(of:))).count }

    /// Whether `request` would share a live seat of its user (host) once `reclaim` have ended.
    func sharesASeat(_ request: SeatRequest, reclaiming reclaim: Set<SessionToken>) -> Bool {
        firstOfSeat(named: seatName(request.user, request.hardwareID), in: remainingLive(reclaim)) != nil
    }

    /// A seat is shared only with a live session (not pending, not ending, not reclaimed by this grant).
    func remainingLive(_ reclaim: Set<SessionToken>) -> [Session] {
        entries.filter { !reclaim.contains($0.key) && $0.value.phase == .live }.map(\.value.session)
    }

    /// The session that took the seat named `name` (the earliest, then by token), if one holds it.
    func firstOfSeat(named name: String?, in sessions: [Session]) -> Session? {
        guard let name else { return nil }
        return sessions.filter { seat(of: $0) == name }.min(by: Self.precedes)
    }

    /// Computed apart from `SeatCounting.seatHolders`, by grouping.
    func seatRepresentatives(_ sessions: [Session]) -> [PolicySubject] {
        Dictionary(grouping: sessions, by: seat(of:)).values.map { PolicySubject($0.min(by: Self.precedes)!) }
    }

    static func precedes(_ a: Session, _ b: Session) -> Bool {
        (a.createdAt, a.token.high, a.token.low) < (b.createdAt, b.token.high, b.token.low)
    }

    func attachableEntry(_ token: SessionToken, _ attachable: [SessionToken: Entry]) throws -> Entry {
        guard let entry = attachable[token] else {
            throw ModelFailure(message: "attached to \(token), not one of \(attachable.keys)")
        }
        return entry
    }

    mutating func heartbeat() throws {
        let token = pickToken()
        let outcome = ledger.heartbeat(token, now: now, policy: policy)
        if logging { log.append("t=\(now) heartbeat \(token) -> \(outcome)") }
        guard let entry = entries[token] else {
            return try check(outcome == .refused(.unknownSession), "expected unknownSession, got \(outcome)")
        }
        if case .ending(let end) = entry.phase {
            return try check(outcome == .awaitingEnd(end), "expected awaitingEnd(\(end)), got \(outcome)")
        }
        if entry.session.isLapsed(at: now) {
            stats.heartbeatsExpired += 1
            guard entry.phase == .live else {
                return try check(outcome == .refused(.ended(.expired)), "expected ended(expired), got \(outcome)")
            }
            // The expiry is committed before the holder is told.
            try check(outcome == .expiring(entry.session), "expected expiring, got \(outcome)")
            entries[token]!.phase = .ending(.expired)
            if entry.session.isBorrowed { stats.borrowExpiries += 1 }
            inFlight.append(.end([token]))
            return
        }
        if let refusal = license.refusal(at: now) {
            return try check(outcome == .refused(.license(refusal)), "expected license(\(refusal)), got \(outcome)")
        }
        if entry.session.isBorrowed {
            return try check(outcome == .extended(entry.session, store: false), "a heartbeat changed borrowed \(entry.session): \(outcome)")
        }
        var renewed = entry.session
        renewed.lastHeartbeatAt = now
        renewed.leaseExpiresAt = policy.leaseExpiry(from: now)
        // Written when half an interval has passed since the last one written.
        let store = now.millisecondsSinceEpoch - entry.storedHeartbeatAt.millisecondsSinceEpoch >= policy.heartbeatIntervalMilliseconds / 2
        try check(outcome == .extended(renewed, store: store), "expected extended \(renewed) (store: \(store)), got \(outcome)")
        entries[token]!.session = renewed
        if store {
            entries[token]!.storedHeartbeatAt = now
            stats.heartbeatsStored += 1
        }
        stats.heartbeatsExtended += 1
    }

    mutating func beginEnd() throws {
        let token = pickToken()
        let reason: SessionEnd = chance(80) ? .released : .revoked
        let decision = ledger.beginEnd(token, reason: reason)
        if logging { log.append("t=\(now) beginEnd \(token) \(reason) -> \(decision)") }
        guard let entry = entries[token] else {
            return try check(decision == .unknownSession, "expected unknownSession, got \(decision)")
        }
        if case .ending(let end) = entry.phase {
            return try check(decision == .alreadyEnding(end), "expected alreadyEnding(\(end)), got \(decision)")
        }
        try check(decision == .ending(entry.session), "expected ending, got \(decision)")
        entries[token]!.phase = .ending(reason)
        inFlight.append(.end([token]))
    }

    mutating func beginExpiry() throws {
        let ended = ledger.beginExpiry(now: now)
        if logging { log.append("t=\(now) beginExpiry -> \(ended.map(\.token))") }
        let expected = entries.filter { $0.value.phase == .live && $0.value.session.isLapsed(at: now) }
        try check(ended.count == expected.count && Set(ended.map(\.token)) == Set(expected.keys),
                  "expiry ended \(ended.map(\.token)), expected \(expected.keys)")
        for session in ended {
            try check(session == entries[session.token]?.session, "expired session content differs")
            entries[session.token]!.phase = .ending(.expired)
            if session.isBorrowed { stats.borrowExpiries += 1 }
        }
        if !ended.isEmpty { inFlight.append(.end(ended.map(\.token))) }
    }

    mutating func beginEndAll() throws {
        let reason: SessionEnd = chance(50) ? .revoked : .released
        let ended = ledger.beginEndAll(reason: reason)
        if logging { log.append("t=\(now) beginEndAll \(reason) -> \(ended.map(\.token))") }
        let expected = entries.filter { !$0.value.ending }
        try check(ended.count == expected.count && Set(ended.map(\.token)) == Set(expected.keys),
                  "endAll ended \(ended.map(\.token)), expected \(expected.keys)")
        for session in ended {
            try check(session == entries[session.token]?.session, "ended session content differs")
            entries[session.token]!.phase = .ending(reason)
        }
        if !ended.isEmpty { inFlight.append(.end(ended.map(\.token))) }
    }

    /// Completes one in-flight commit, chosen at random: success or failure.
    mutating func resolve() {
        guard !inFlight.isEmpty else { return }
        let op = inFlight.remove(at: random(inFlight.count))
        let succeeded = chance(70)
        if logging { log.append("t=\(now) \(succeeded ? "commit" : "fail") \(op)") }
        switch (op, succeeded) {
        case (.grant(let token, let reclaimed), true):
            ledger.confirmGrant(token, reclaimed: reclaimed)
            if entries[token]?.phase == .pending { entries[token]!.phase = .live }
            entries[token]?.confirmed = true
            modelFinishEnd(reclaimed)
        case (.grant(let token, let reclaimed), false):
            ledger.abortGrant(token, reclaimed: reclaimed)
            entries[token] = nil
            modelAbortEnd(reclaimed)
            stats.abortedGrants += 1
        case (.end(let tokens), true):
            ledger.finishEnd(tokens)
            modelFinishEnd(tokens)
        case (.end(let tokens), false) where chance(50):
            ledger.abortEnd(tokens)
            modelAbortEnd(tokens)
            stats.abortedEnds += 1
        case (.end(let tokens), false):
            // An end the server decided stands and waits for a retry.
            ledger.deferEnd(tokens)
            deferred.formUnion(tokens.filter { entries[$0]?.ending == true })
            stats.deferredEnds += 1
        }
    }

    /// The deferred ends come back once each, with their reasons, and are in flight again.
    mutating func retryEnds() throws {
        let retries = ledger.retryEnds()
        let tokens = retries.map(\.session.token)
        if logging { log.append("t=\(now) retryEnds -> \(tokens)") }
        let expected = deferred.filter { entries[$0]?.ending == true }
        try check(Set(tokens) == expected && tokens.count == expected.count, "retryEnds gave \(tokens), expected \(expected)")
        for retry in retries {
            try check(entries[retry.session.token]?.phase == .ending(retry.end), "retried \(retry.session.token) with \(retry.end)")
            try check(retry.session == entries[retry.session.token]?.session, "retried session differs")
        }
        deferred = []
        if !tokens.isEmpty { inFlight.append(.end(tokens)) }
    }

    mutating func modelFinishEnd(_ tokens: [SessionToken]) {
        for token in tokens where entries[token]?.ending == true { entries[token] = nil }
    }

    mutating func modelAbortEnd(_ tokens: [SessionToken]) {
        for token in tokens {
            guard let entry = entries[token], entry.ending else { continue }
            entries[token]!.phase = entry.confirmed ? .live : .pending
            if nonEnding(of: entry.session.holder) > 1 {
                duplicateHolders.insert(entry.session.holder)
                stats.duplicateHolders += 1
            }
        }
    }

    mutating func advanceClock() {
        let roll = random(100)
        let delta: Int64 = switch roll {
        case 0..<3: -Int64(random(300))             // wall clock stepped back
        case 3..<70: Int64(random(400))
        case 70..<95: Int64(random(1_500))
        default: Int64(random(4_000))
        }
        now = now.adding(milliseconds: delta)
        if logging { log.append("t=\(now) clock \(delta >= 0 ? "+" : "")\(delta)") }
    }

    mutating func updateLicense() {
        let seats = [0, 1, 1, 2, 2, 3, 3, 4][random(8)]
        let state: LicenseState = switch random(10) {
        case 0: .suspended
        case 1: .revoked
        default: .active
        }
        let expiresAt: Timestamp? = chance(20) ? now.adding(milliseconds: Int64(random(3_500)) - 500) : nil
        var generator = rng
        let overage = Self.randomOverage { Int(generator.next() % UInt64($0)) }
        // A reissued license seldom changes how it counts.
        let counting = generator.next() % 10 == 0 ? Self.randomCounting { Int(generator.next() % UInt64($0)) } : license.seatCounting
        rng = generator
        license = License(key: "LIC-1", seats: seats, overage: overage, seatCounting: counting, tier: "t\(random(2))", expiresAt: expiresAt, state: state)
        ledger.updateLicense(license)
        allowed = max(license.seatsAllowed, worstCaseStored())
        if logging { log.append("t=\(now) updateLicense seats=\(seats) overage=\(overage) \(state) expiresAt=\(expiresAt.map(\.description) ?? "never")") }
    }

    // MARK: Model queries

    mutating func pickToken() -> SessionToken {
        switch random(10) {
        case 0: return SessionToken(high: rng.next(), low: rng.next()) // never issued
        case 1, 2: return issued.isEmpty ? SessionToken(high: 0, low: 0) : issued[random(issued.count)]
        default:
            let live = sortedTokens()
            return live.isEmpty ? SessionToken(high: 0, low: 0) : live[random(live.count)]
        }
    }

    /// The model's tokens in a fixed order, so a seed replays the same whatever the hash seed.
    func sortedTokens() -> [SessionToken] {
        entries.keys.sorted { ($0.high, $0.low) < ($1.high, $1.low) }
    }

    func nonEnding(of holder: Holder) -> Int {
        var count = 0
        for entry in entries.values where !entry.ending && entry.session.holder == holder { count += 1 }
        return count
    }

    /// A seat frees when its last session does: at once if that one is ending.
    func nextFreeAt() -> Timestamp {
        let bySeat = Dictionary(grouping: entries.values, by: { seat(of: $0.session) })
        let freesAt = bySeat.values.map { seat in seat.map { $0.ending ? now : $0.session.leaseExpiresAt }.max()! }
        return max(now, freesAt.min() ?? now)
    }

    /// The most seats storage can hold once every commit in flight has succeeded or
    /// failed: a grant that reclaims sessions stores either itself or them, not both. Every
    /// combination of those grants' outcomes is tried (ends are taken to fail).
    func worstCaseStored() -> Int {
        var grants: [(token: SessionToken, reclaimed: [SessionToken])] = []
        for case .grant(let token, let reclaimed) in inFlight
        where entries[token] != nil && reclaimed.contains(where: { entries[$0] != nil }) {
            grants.append((token, reclaimed))
        }
        var worst = 0
        for outcome in 0..<(1 << grants.count) {
            var gone = Set<SessionToken>()
            for (index, grant) in grants.enumerated() {
                if outcome & (1 << index) != 0 { gone.formUnion(grant.reclaimed) } else { gone.insert(grant.token) }
            }
            worst = max(worst, seatsHeld(entries.filter { !gone.contains($0.key) }.map(\.value.session)))
        }
        return worst
    }

    // MARK: State check after every step

    mutating func checkState() throws {
        try checkQueue()
        try check(ledger.license == license, "license differs")
        let held = seatsHeld(entries.values.map(\.session))
        if held < entries.count { stats.sharedSeatSteps += 1 }
        try check(ledger.seatsInUse == min(license.seatsAllowed, held), "seatsInUse \(ledger.seatsInUse), model \(held) seats of \(license.seatsAllowed)")
        // Invariant 5: no one is ever told more seats are in use than the license allows.
        try check(ledger.seatsInUse <= license.seatsAllowed, "reported in-use \(ledger.seatsInUse) > allowed \(license.seatsAllowed)")
        try check(ledger.seatsOverageInUse == max(0, ledger.seatsInUse - license.seats), "overage in use \(ledger.seatsOverageInUse)")
        if ledger.seatsOverageInUse > 0 { stats.overageInUseSteps += 1 }
        try check(ledger.seatsTotal == license.seats, "seatsTotal differs")
        try check(ledger.seatsFree == max(0, license.seats - held), "seatsFree \(ledger.seatsFree)")
        let sessions = ledger.sessions
        try check(sessions.count == entries.count, "ledger lists \(sessions.count) sessions, model \(entries.count)")
        for session in sessions {
            guard let entry = entries[session.token] else {
                throw ModelFailure(message: "ledger has unexpected session \(session.token)")
            }
            try check(session == entry.session, "session \(session.token) differs: \(session) vs \(entry.session)")
            try check(ledger.session(session.token) == entry.session, "session(_:) differs for \(session.token)")
            try check(ledger.isOverage(session.token) == entry.overage, "overage flag of \(session.token) differs")
            try check(ledger.phase(of: session.token) == entry.phase,
                      "phase of \(session.token): ledger \(String(describing: ledger.phase(of: session.token))), model \(entry.phase)")
        }
        try check(ledger.nextFreeAt(now: now) == nextFreeAt(), "nextFreeAt \(ledger.nextFreeAt(now: now)), model \(nextFreeAt())")
        try check(ledger.nextFreeAt(now: now) >= now, "nextFreeAt before now")

        // Invariant 1.
        let stored = worstCaseStored()
        try check(stored <= allowed, "storage could hold \(stored) seats, allowed \(allowed) (seats \(license.seats) + overage)")
        if license.seatCounting == .user {
            // Invariant 8: under user counting the seats are the users (the worst case above
            // counts distinct users), and the ledger reports its own sessions' users.
            let users = Set(ledger.sessions.map(\.user)).count
            try check(ledger.seatsInUse == min(license.seatsAllowed, users), "\(users) users hold seats, reported \(ledger.seatsInUse)")
        }
        if stored > license.seatsAllowed { stats.overLoweredSeats += 1 }
        allowed = max(license.seatsAllowed, min(allowed, stored))

        // Invariant 2.
        for holder in holders {
            let count = nonEnding(of: holder)
            if count <= 1 {
                duplicateHolders.remove(holder)
            } else {
                try check(duplicateHolders.contains(holder), "holder \(holder) has \(count) non-ending sessions")
            }
        }
    }
}
