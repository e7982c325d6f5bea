import SeatCore
import Testing

/// Borrowing together with seat counting and overage (docs/operations.md, *Borrowing, seat
/// counting and overage*): a borrow shares its user's (host's) seat like any session,
/// `borrow_max_seats` counts seats, and a borrow never takes the overage allowance.
@Suite("SeatLedger: borrowing with seat counting and overage")
struct SeatLedgerBorrowCountingTests {
    typealias Harness = SeatLedgerBorrowTests.BorrowHarness

    static func license(seats: Int, overage: Overage = .none, counting: SeatCounting = .session) -> License {
        License(key: "LIC-1", seats: seats, overage: overage, seatCounting: counting)
    }

    @Test func aBorrowSharesTheSeatOfItsUserUnderUserCounting() throws {
        var h = try Harness(Self.license(seats: 1, counting: .user))
        let desk = try #require(h.ask("ana", hw: "desk", hours: nil).granted?.session)
        let laptop = try #require(h.borrow("ana", hw: "laptop").granted?.session)
        #expect(laptop.isBorrowed && laptop.token != desk.token)
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ask("bo", hours: nil).refusal != nil, "the one seat is ana's")
        // The desk session ending leaves the seat held by the borrow, until the borrow ends.
        _ = h.ledger.beginEnd(desk.token, reason: .released)
        h.ledger.finishEnd([desk.token])
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ask("ana", hw: "desk", hours: nil).granted != nil, "ana shares her borrowed seat again")
        #expect(h.ask("bo", hours: nil).refusal != nil)
    }

    @Test func aBorrowSharesTheSeatOfItsHostUnderHostCounting() throws {
        var h = try Harness(Self.license(seats: 1, counting: .host))
        _ = try #require(h.ask("ana", hw: "laptop", hours: nil).granted)
        _ = try #require(h.borrow("bo", hw: "laptop").granted)
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.borrow("carol", hw: "other").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(24 * SeatLedgerBorrowTests.hour)))
    }

    @Test func borrowMaxSeatsCountsSeatsSoASecondBorrowOfTheSameUserIsWithinIt() throws {
        var h = try Harness(Self.license(seats: 5, counting: .user), policy: "borrow_max_seats 1 LIC-1")
        _ = try #require(h.borrow("ana", hw: "laptop").granted)
        _ = try #require(h.borrow("ana", hw: "tablet").granted, "ana's seat is already out on borrow")
        #expect(h.borrow("bo", hw: "laptop-2").refusal == h.policyRefusal(.overBorrowMax(limit: 1)))
        #expect(h.ask("bo", hw: "laptop-2", hours: nil).granted != nil, "an ordinary seat is not limited")
        #expect(h.ledger.seatsInUse == 2)
    }

    @Test func borrowMaxSeatsCountsEachBorrowedSessionUnderSessionCounting() throws {
        var h = try Harness(Self.license(seats: 5), policy: "borrow_max_seats 1 LIC-1")
        _ = try #require(h.borrow("ana", hw: "laptop").granted)
        #expect(h.borrow("ana", hw: "tablet").refusal == h.policyRefusal(.overBorrowMax(limit: 1)))
    }

    @Test func aBorrowNeverTakesTheOverage() throws {
        var h = try Harness(Self.license(seats: 1, overage: .seats(2)))
        _ = try #require(h.ask("ana", hours: nil).granted)
        #expect(h.borrow("bo").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
        let overage = try #require(h.ask("carol", hours: nil).granted?.session, "an ordinary acquire still may")
        #expect(h.ledger.isOverage(overage.token) && h.ledger.seatsOverageInUse == 1)
    }

    @Test func aBorrowTakesAFreeSeatWithinSeatsWhileTheOverageIsAllowed() throws {
        var h = try Harness(Self.license(seats: 2, overage: .seats(2)))
        _ = try #require(h.ask("ana", hours: nil).granted)
        let borrowed = try #require(h.borrow("bo").granted?.session)
        #expect(!h.ledger.isOverage(borrowed.token))
        #expect(h.borrow("carol").refusal != nil)
    }

    @Test func aBorrowMayNotShareASeatGrantedInOverage() throws {
        var h = try Harness(Self.license(seats: 1, overage: .seats(1), counting: .user))
        _ = try #require(h.ask("ana", hw: "desk", hours: nil).granted)
        let bo = try #require(h.ask("bo", hw: "desk-2", hours: nil).granted?.session)
        #expect(h.ledger.isOverage(bo.token))
        #expect(h.borrow("bo", hw: "laptop").refusal == .noSeats(seatsTotal: 1, seatsInUse: 2, nextFreeAt: ts(1_000)))
        // Ana's seat is within seats: her borrow shares it while the overage is in use.
        let laptop = try #require(h.borrow("ana", hw: "laptop").granted?.session)
        #expect(!h.ledger.isOverage(laptop.token) && h.ledger.seatsInUse == 2)
    }
}
