import SeatCore
import Testing

@Suite("SeatLedger: seat counting")
struct SeatLedgerSeatCountingTests {
    func harness(seats: Int, counting: SeatCounting, overage: Overage = .none) -> Harness {
        Harness(license: License(key: "LIC-1", seats: seats, overage: overage, seatCounting: counting))
    }

    @Test("user counting: one user on two hosts holds one seat, each session its own")
    func userOnTwoHosts() throws {
        var h = harness(seats: 1, counting: .user)
        let first = try h.grant("ana", hw: "laptop")
        let second = try h.grant("ana", hw: "desktop")
        #expect(first.token != second.token)
        #expect(h.ledger.seatsInUse == 1 && h.ledger.sessions.count == 2)
        #expect(h.acquire("bo", hw: "ws").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
        #expect(h.heartbeat(second.token).extended != nil, "the shared session heartbeats on its own")
    }

    @Test("releasing one of the user's sessions keeps the seat; the last release frees it")
    func lastReleaseFrees() throws {
        var h = harness(seats: 1, counting: .user)
        let first = try h.grant("ana", hw: "laptop")
        let second = try h.grant("ana", hw: "desktop")
        _ = h.ledger.beginEnd(first.token, reason: .released)
        h.ledger.finishEnd([first.token])
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.acquire("bo", hw: "ws").refusal != nil)
        _ = h.ledger.beginEnd(second.token, reason: .released)
        h.ledger.finishEnd([second.token])
        #expect(h.ledger.seatsInUse == 0)
        _ = try h.grant("bo", hw: "ws")
    }

    @Test("one of the user's sessions expiring keeps the seat; it frees when the last lapses")
    func expiryOfOne() throws {
        var h = harness(seats: 1, counting: .user)
        _ = try h.grant("ana", hw: "laptop")
        h.advance(600)
        let later = try h.grant("ana", hw: "desktop")
        h.advance(500)
        let expired = h.ledger.beginExpiry(now: h.now)
        #expect(expired.map(\.hardwareID) == ["laptop"])
        h.ledger.finishEnd(expired.map(\.token))
        #expect(h.ledger.seatsInUse == 1 && h.ledger.nextFreeAt(now: h.now) == later.leaseExpiresAt)
        #expect(h.acquire("bo", hw: "ws").refusal != nil)
        h.advance(600)
        let granted = try #require(h.acquire("bo", hw: "ws").granted)
        #expect(granted.reclaimed.map(\.token) == [later.token], "the lapsed last session is reclaimed")
    }

    @Test("host counting: users on one hardware id share its seat")
    func hostCounting() throws {
        var h = harness(seats: 1, counting: .host)
        _ = try h.grant("ana", hw: "ws-1")
        _ = try h.grant("bo", hw: "ws-1")
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.acquire("ana", hw: "ws-2").refusal != nil)
    }

    @Test("a seat held only by a grant still being committed is not shared")
    func pendingSeatNotShared() throws {
        var h = harness(seats: 1, counting: .user)
        _ = try #require(h.acquire("ana", hw: "laptop").granted)
        #expect(h.acquire("ana", hw: "desktop").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
    }

    @Test("a shared session takes the overage flag of the seat's first session")
    func overageInherited() throws {
        var h = harness(seats: 1, counting: .user, overage: .seats(1))
        _ = try h.grant("ana", hw: "a")
        let over = try h.grant("bo", hw: "b")
        let shared = try h.grant("bo", hw: "c")
        #expect(h.ledger.isOverage(over.token) && h.ledger.isOverage(shared.token))
        #expect(h.ledger.seatsInUse == 2 && h.ledger.seatsOverageInUse == 1)
    }

    @Test("policy max counts seats: a user's second host is not a second seat; exclude still applies")
    func policyCountsSeats() throws {
        var ledger = SeatLedger(license: License(key: "LIC-1", seats: 3, seatCounting: .user))
        let rules = LicenseRules(
            maxima: [LicenseRules.Limit(1, .user("ana")), LicenseRules.Limit(1, .group("eng", members: ["ana", "bo"]))],
            excludes: [.host("kiosk")]
        )
        var next: UInt64 = 0
        func acquire(_ user: String, host: String) -> AcquireDecision {
            ledger.acquire(request(user, hw: host, host: host), now: ts(0), policy: testPolicy, rules: rules) { next += 1; return token(next) }
        }
        func grant(_ user: String, host: String) throws {
            let granted = try #require(acquire(user, host: host).granted)
            ledger.confirmGrant(granted.session.token, reclaimed: [])
        }
        try grant("ana", host: "laptop")
        try grant("ana", host: "desktop")
        #expect(acquire("bo", host: "ws").refusal == .policy(.overMax(limit: 1, principal: .group("eng", members: ["ana", "bo"])), seatsTotal: 3, seatsInUse: 1))
        #expect(acquire("ana", host: "kiosk").refusal == .policy(.excluded(.host("kiosk")), seatsTotal: 3, seatsInUse: 1))
    }

    @Test("seatHolders: one subject per seat, that of the session that took it")
    func seatHoldersOnePerSeat() {
        let sessions = [storedSession(2, user: "ana", hw: "b", createdAt: 20), storedSession(1, user: "ana", hw: "a", createdAt: 10),
                        storedSession(3, user: "bo", hw: "a", createdAt: 5)]
        #expect(SeatCounting.user.seatHolders(of: sessions).map(\.hardwareID).sorted() == ["a", "a"])
        #expect(SeatCounting.host.seatHolders(of: sessions).map(\.user).sorted() == ["ana", "bo"])
        #expect(SeatCounting.session.seatHolders(of: sessions).count == 3)
    }

    @Test("restored sessions share seats and the overage by seat")
    func restore() {
        let sessions = [storedSession(1, user: "ana", hw: "a", createdAt: 10), storedSession(2, user: "ana", hw: "b", createdAt: 20),
                        storedSession(3, user: "bo", hw: "c", createdAt: 30)]
        let ledger = SeatLedger(license: License(key: "LIC-1", seats: 1, overage: .seats(1), seatCounting: .user), restoring: sessions)
        #expect(ledger.seatsInUse == 2 && ledger.seatsOverageInUse == 1)
        #expect(!ledger.isOverage(token(2)) && ledger.isOverage(token(3)))
    }
}
