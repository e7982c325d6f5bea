import SeatCore
import Testing

@Suite("SeatLedger: overage")
struct SeatLedgerOverageTests {
    func harness(seats: Int, overage: Overage) -> Harness {
        Harness(license: License(key: "LIC-1", seats: seats, overage: overage))
    }

    @Test("the allowance: a count as given, a factor rounded down", arguments: [
        (10, Overage.none, 0), (10, .seats(3), 3), (0, .seats(2), 2),
        (10, .factor(thousandths: 1250), 2), (10, .factor(thousandths: 1500), 5), (10, .factor(thousandths: 2000), 10),
        (3, .factor(thousandths: 1250), 0), (4, .factor(thousandths: 1250), 1), (7, .factor(thousandths: 1333), 2),
    ])
    func allowance(seats: Int, overage: Overage, extra: Int) {
        #expect(overage.allowance(seats: seats) == extra)
        #expect(License(key: "K", seats: seats, overage: overage).seatsAllowed == seats + extra)
    }

    @Test("overage text reads back to the same value", arguments: ["none", "+1", "+1000000", "1.25x", "1.5x", "2x", "1.001x", "10x"])
    func textRoundTrip(text: String) throws {
        let overage = try Overage(text: text)
        #expect(overage.description == text)
        #expect(try Overage(text: overage.description) == overage)
    }

    @Test("grants past seats are flagged, up to the allowance exactly; then noSeats")
    func flaggedAndCapped() throws {
        var h = harness(seats: 2, overage: .seats(2))
        let regular = try [h.grant("a"), h.grant("b")]
        #expect(regular.allSatisfy { !h.ledger.isOverage($0.token) })
        #expect(h.ledger.seatsOverageInUse == 0 && h.ledger.seatsFree == 0)
        let extra = try [h.grant("c"), h.grant("d")]
        #expect(extra.allSatisfy { h.ledger.isOverage($0.token) })
        #expect(h.ledger.seatsInUse == 4 && h.ledger.seatsTotal == 2 && h.ledger.seatsOverageInUse == 2)
        #expect(h.acquire("e").refusal == .noSeats(seatsTotal: 2, seatsInUse: 4, nextFreeAt: ts(1_000)))
    }

    @Test("a pending overage grant is flagged before its commit")
    func pendingFlagged() throws {
        var h = harness(seats: 1, overage: .seats(1))
        _ = try h.grant("a")
        let pending = try #require(h.acquire("b").granted).session
        #expect(h.ledger.phase(of: pending.token) == .pending && h.ledger.isOverage(pending.token))
    }

    @Test("a release frees a seat of seats: the next grant is not overage, the overage one stays flagged")
    func releaseUnderSeats() throws {
        var h = harness(seats: 1, overage: .seats(1))
        let first = try h.grant("a")
        let over = try h.grant("b")
        _ = h.ledger.beginEnd(first.token, reason: .released)
        #expect(h.ledger.seatsInUse == 2, "an end not yet committed still holds its seat")
        h.ledger.finishEnd([first.token])
        #expect(h.ledger.seatsInUse == 1 && h.ledger.seatsOverageInUse == 0)
        #expect(h.ledger.isOverage(over.token))
        #expect(!h.ledger.isOverage(try h.grant("c").token))
        #expect(h.ledger.seatsOverageInUse == 1)
    }

    @Test("a lapsed session is reclaimed by a grant that would otherwise exceed the allowance")
    func lapsedReclaimedAtTheCap() throws {
        var h = harness(seats: 1, overage: .seats(1))
        _ = try h.grant("a")
        h.advance(500)
        _ = try h.grant("b")
        h.advance(600)
        let granted = try #require(h.acquire("c").granted)
        #expect(granted.reclaimed.map(\.user) == ["a"])
        #expect(h.ledger.isOverage(granted.session.token), "b still holds the one seat of seats")
        #expect(h.ledger.seatsInUse == 2)
    }

    @Test("restored sessions past seats, by creation time, are the overage")
    func restoredFlags() {
        let sessions = [storedSession(1, user: "late", createdAt: 30), storedSession(2, user: "early", hw: "h2", createdAt: 10),
                        storedSession(3, user: "mid", hw: "h3", createdAt: 20)]
        let ledger = SeatLedger(license: License(key: "LIC-1", seats: 2, overage: .seats(1)), restoring: sessions)
        #expect(ledger.isOverage(token(1)) && !ledger.isOverage(token(2)) && !ledger.isOverage(token(3)))
        #expect(ledger.seatsInUse == 3 && ledger.seatsOverageInUse == 1)
    }

    @Test("a policy reservation counts the overage as seats: the last free one may be reserved")
    func policyOverAllowance() throws {
        var ledger = SeatLedger(license: License(key: "LIC-1", seats: 1, overage: .seats(1)))
        let rules = LicenseRules(reservations: [LicenseRules.Limit(1, .user("boss"))])
        var next: UInt64 = 0
        func acquire(_ user: String) -> AcquireDecision {
            ledger.acquire(request(user, hw: user), now: ts(0), policy: testPolicy, rules: rules) { next += 1; return token(next) }
        }
        #expect(acquire("a").granted != nil)
        #expect(acquire("b").refusal == .policy(.reservedForOthers(reservedFreeSeats: 1), seatsTotal: 1, seatsInUse: 1))
        let boss = try #require(acquire("boss").granted).session
        #expect(ledger.isOverage(boss.token))
    }
}
