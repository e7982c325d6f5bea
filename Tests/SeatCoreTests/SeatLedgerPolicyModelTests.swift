import Foundation
import SeatCore
import Testing

/// Seeded randomized test of the site policy in `SeatLedger`: random policy files (groups,
/// host groups, reserve, max, include, exclude over a few users and hosts) and random
/// acquires, releases, heartbeats and clock steps, checking after every decision, with
/// rules evaluated here independently of the ledger's:
///
/// 1. Never more sessions than seats.
/// 2. Excluded users and hosts are never granted; with include rules, only included
///    ones (or reservation owners) are.
/// 3. Reservations are respected: a grant to someone who owns no reservation leaves, for
///    every reservation, enough free seats for its owners to reach it.
/// 4. A grant taken outside one's reservations never takes a user, group or host past a max.
/// 5. Every refusal is justified: the rule it names applies, a `noSeats` license is full.
///
/// Reproduce a failure with `SEATCORE_MODEL_SEED=<seed> swift test --filter SeatLedgerPolicyModel`.
@Suite("SeatLedger: randomized site policy")
struct SeatLedgerPolicyModelTests {
    static let seeds = 400
    static let steps = 150

    @Test("random policies and operations keep the policy invariants")
    func randomSequences() async throws {
        let seeds: [UInt64]
        if let text = ProcessInfo.processInfo.environment["SEATCORE_MODEL_SEED"], let seed = UInt64(text) {
            seeds = [seed]
        } else {
            seeds = (0..<UInt64(Self.seeds)).map { 0x9011_C000 + $0 }
        }
        var stats = PolicyRun.Stats()
        for seed in seeds {
            var run = PolicyRun(seed: seed)
            do {
                try run.run(steps: Self.steps)
            } catch let failure as ModelFailure {
                Issue.record(Comment(rawValue: """
                    policy model failed with seed \(seed) at step \(run.step): \(failure.message)
                    policy:
                    \(run.policyText)
                    reproduce: SEATCORE_MODEL_SEED=\(seed) swift test --filter SeatLedgerPolicyModel
                    """))
                return
            }
            stats.add(run.stats)
            await Task.yield()  // seconds of CPU in all: let the other tests' jobs run between seeds
        }
        if seeds.count > 1 {
            // Every kind of decision is exercised.
            #expect(stats.grants > 5_000)
            #expect(stats.reservedGrants > 500)
            #expect(stats.noSeats > 500)
            #expect(stats.excluded > 200 && stats.notIncluded > 200)
            #expect(stats.overMax > 200 && stats.reservedForOthers > 200)
        }
    }
}

struct PolicyRun {
    struct Stats {
        var grants = 0, reservedGrants = 0, noSeats = 0, excluded = 0, notIncluded = 0, overMax = 0, reservedForOthers = 0

        mutating func add(_ other: Stats) {
            grants += other.grants; reservedGrants += other.reservedGrants; noSeats += other.noSeats
            excluded += other.excluded; notIncluded += other.notIncluded
            overMax += other.overMax; reservedForOthers += other.reservedForOthers
        }
    }

    static let users = ["u0", "u1", "u2", "u3", "u4"]
    static let hosts = ["h0", "h1", "h2"]

    var rng: SplitMix64
    var ledger: SeatLedger
    var rules: LicenseRules
    var policyText = ""
    var now = ts(1_000_000)
    var step = 0
    var stats = Stats()

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
        let seats = Int(rng.next() % 6) + 1
        ledger = SeatLedger(license: License(key: "LIC-1", seats: seats))
        rules = .unrestricted
        var lines = ["group g0 \(pick(Self.users)) \(pick(Self.users))", "group g1 \(pick(Self.users))", "host_group hg \(pick(Self.hosts))"]
        var reserved = 0
        for _ in 0..<random(5) {
            let principal = randomPrincipal()
            switch random(5) {
            case 0, 1:
                let count = random(3) + 1
                // Reservations never exceed the seats (the daemon refuses such a file).
                if reserved + count <= seats {
                    reserved += count
                    lines.append("reserve \(count) LIC-1 \(principal)")
                }
            case 2: lines.append("max \(random(3)) LIC-1 \(principal)")
            case 3: lines.append("include LIC-1 \(principal)")
            default: lines.append("exclude LIC-1 \(principal)")
            }
        }
        policyText = lines.joined(separator: "\n")
        rules = try! SitePolicyParser.parse(policyText, file: "model.policy").rules(for: ledger.license)
    }

    mutating func random(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    mutating func pick(_ names: [String]) -> String { names[random(names.count)] }

    mutating func randomPrincipal() -> String {
        switch random(4) {
        case 0: "user \(pick(Self.users))"
        case 1: "group g\(random(2))"
        case 2: "host \(pick(Self.hosts))"
        default: "host_group hg"
        }
    }

    func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ModelFailure(message: message()) }
    }

    mutating func run(steps: Int) throws {
        for i in 0..<steps {
            step = i
            switch random(100) {
            case 0..<55: try acquire()
            case 55..<75: release()
            case 75..<85: heartbeat()
            default: now = now.adding(milliseconds: Int64(random(400)))
            }
            try check(ledger.sessions.count <= ledger.seatsTotal, "\(ledger.sessions.count) sessions on \(ledger.seatsTotal) seats")
        }
    }

    mutating func acquire() throws {
        let user = pick(Self.users), host = pick(Self.hosts)
        let subject = PolicySubject(user: user, hostname: host, hardwareID: "hw-\(host)-\(random(2))")
        let request = SeatRequest(licenseKey: "LIC-1", user: user, hostname: host, hardwareID: subject.hardwareID, clientVersion: "1")
        // What the ledger will count: every session but the lapsed ones it may reclaim.
        let unlapsed = ledger.sessions.filter { !$0.isLapsed(at: now) }.map(PolicySubject.init)
        let decision = ledger.acquire(request, now: now, policy: testPolicy, rules: rules) { SessionToken.random(using: &rng) }
        switch decision {
        case .attached:
            break
        case .granted(let session, let reclaimed):
            ledger.confirmGrant(session.token, reclaimed: reclaimed.map(\.token))
            try checkGrant(subject)
        case .refused(let refusal):
            try checkRefusal(refusal, subject, holders: unlapsed)
        case .queued:
            try check(false, "queued an acquire that did not ask to wait")
        }
    }

    func owns(_ subject: PolicySubject) -> Bool { rules.reservations.contains { $0.principal.matches(subject) } }

    mutating func checkGrant(_ subject: PolicySubject) throws {
        stats.grants += 1
        try check(!rules.excludes.contains { $0.matches(subject) }, "granted to excluded \(subject)")
        try check(rules.includes.isEmpty || owns(subject) || rules.includes.contains { $0.matches(subject) }, "granted to \(subject), not included")
        let holders = ledger.sessions.map(PolicySubject.init)
        let free = ledger.seatsTotal - holders.count
        if owns(subject) {
            stats.reservedGrants += 1
            return
        }
        for reservation in rules.reservations {
            let held = holders.count { reservation.principal.matches($0) }
            try check(free >= reservation.count - held, "granted to \(subject) although \(reservation.principal) holds \(held) of \(reservation.count) reserved and \(free) seats are left")
        }
        for limit in rules.maxima where limit.principal.matches(subject) {
            let held = holders.count { limit.principal.matches($0) }
            try check(held <= limit.count, "granted to \(subject): \(limit.principal) now holds \(held), max \(limit.count)")
        }
    }

    mutating func checkRefusal(_ refusal: AcquireRefusal, _ subject: PolicySubject, holders: [PolicySubject]) throws {
        switch refusal {
        case .noSeats:
            stats.noSeats += 1
            try check(holders.count >= ledger.seatsTotal || ledger.sessions.count >= ledger.seatsTotal, "noSeats with free seats")
        case .policy(.excluded(let principal), _, _):
            stats.excluded += 1
            try check(rules.excludes.contains(principal) && principal.matches(subject), "excluded by \(principal), which does not name \(subject)")
        case .policy(.notIncluded, _, _):
            stats.notIncluded += 1
            try check(!rules.includes.isEmpty && !owns(subject) && !rules.includes.contains { $0.matches(subject) }, "\(subject) refused as not included")
        case .policy(.overMax(let limit, let principal), _, _):
            stats.overMax += 1
            try check(rules.maxima.contains(LicenseRules.Limit(limit, principal)) && principal.matches(subject), "overMax by a rule that does not apply")
            try check(holders.count { principal.matches($0) } >= limit, "overMax below the limit")
        case .policy(.reservedForOthers(let seats), _, _):
            stats.reservedForOthers += 1
            try check(seats > 0 && !rules.reservations.isEmpty, "reservedForOthers without reserved free seats")
        case .license:
            throw ModelFailure(message: "license refusal on an active license")
        case .policy(.borrowNotAllowed, _, _), .policy(.overBorrowMax, _, _):
            throw ModelFailure(message: "a borrow refusal of an ordinary acquire")
        }
    }

    mutating func release() {
        let sessions = ledger.sessions
        guard !sessions.isEmpty else { return }
        let session = sessions.sorted { $0.token.hex < $1.token.hex }[random(sessions.count)]
        if case .ending = ledger.beginEnd(session.token, reason: .released) { ledger.finishEnd([session.token]) }
    }

    mutating func heartbeat() {
        let sessions = ledger.sessions
        guard !sessions.isEmpty else { return }
        let session = sessions.sorted { $0.token.hex < $1.token.hex }[random(sessions.count)]
        if case .expiring(let expired) = ledger.heartbeat(session.token, now: now, policy: testPolicy) {
            ledger.finishEnd([expired.token])
        }
    }
}
