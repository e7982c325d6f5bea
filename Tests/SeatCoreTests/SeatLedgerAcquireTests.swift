import SeatCore
import Testing

@Suite("SeatLedger: acquire")
struct SeatLedgerAcquireTests {
    @Test("a grant is pending, filled from the request, with a full lease")
    func grantFields() throws {
        var h = Harness(seats: 2, now: 5_000)
        let decision = h.ledger.acquire(
            request("alice", hw: "m1", host: "ws-7", version: "2.3", address: "192.0.2.9"),
            now: h.now, policy: testPolicy, newToken: { token(77) }
        )
        let granted = try #require(decision.granted)
        #expect(granted.reclaimed.isEmpty)
        let s = granted.session
        #expect(s.token == token(77))
        #expect(s.licenseKey == "LIC-1")
        #expect(s.user == "alice" && s.hardwareID == "m1" && s.hostname == "ws-7")
        #expect(s.clientVersion == "2.3" && s.clientAddress == "192.0.2.9")
        #expect(s.createdAt == ts(5_000) && s.lastHeartbeatAt == ts(5_000))
        #expect(s.leaseExpiresAt == ts(6_000))
        #expect(h.ledger.phase(of: token(77)) == .pending)
        #expect(h.ledger.session(token(77)) == s)
        #expect(h.ledger.seatsInUse == 1 && h.ledger.seatsFree == 1 && h.ledger.seatsTotal == 2)
        #expect(h.ledger.sessions == [s])

        h.ledger.confirmGrant(token(77), reclaimed: [])
        #expect(h.ledger.phase(of: token(77)) == .live)
        #expect(h.ledger.seatsInUse == 1)
    }

    @Test("the ledger uses the license key, not the one in the request")
    func licenseKeyFromLedger() throws {
        var ledger = SeatLedger(license: License(key: "REAL", seats: 1))
        var r = request("a")
        r.licenseKey = "OTHER"
        let s = try #require(ledger.acquire(r, now: ts(0), policy: testPolicy, newToken: { token(1) }).granted).session
        #expect(s.licenseKey == "REAL")
    }

    @Test("exactly `seats` holders get a seat; the next is refused", arguments: [1, 2, 3, 5, 8])
    func fillsToCapacity(seats: Int) throws {
        var h = Harness(seats: seats)
        for i in 0..<seats {
            _ = try h.grant("user\(i)")
            #expect(h.ledger.seatsInUse == i + 1)
            #expect(h.ledger.seatsFree == seats - i - 1)
        }
        let refusal = try #require(h.acquire("late").refusal)
        #expect(refusal == .noSeats(seatsTotal: seats, seatsInUse: seats, nextFreeAt: ts(1_000)))
        #expect(h.ledger.seatsInUse == seats)
        #expect(h.ledger.seatsFree == 0)
    }

    @Test("pending grants count against capacity before they are confirmed")
    func pendingCounts() throws {
        var h = Harness(seats: 2)
        #expect(h.acquire("a").granted != nil)
        #expect(h.acquire("b").granted != nil)
        #expect(h.acquire("c").refusal == .noSeats(seatsTotal: 2, seatsInUse: 2, nextFreeAt: ts(1_000)))
    }

    @Test("a zero-seat license never grants")
    func zeroSeats() {
        var h = Harness(seats: 0)
        #expect(h.acquire("a").refusal == .noSeats(seatsTotal: 0, seatsInUse: 0, nextFreeAt: ts(0)))
        #expect(h.ledger.seatsInUse == 0)
        #expect(h.tokensDrawn == 0)
    }

    @Test("same user on another machine, or another user on the same machine, is another holder")
    func holderIdentity() throws {
        var h = Harness(seats: 3)
        let a1 = try h.grant("alice", hw: "m1")
        let a2 = try h.grant("alice", hw: "m2")
        let b1 = try h.grant("bob", hw: "m1")
        #expect(Set([a1.token, a2.token, b1.token]).count == 3)
        #expect(h.ledger.seatsInUse == 3)
    }

    // MARK: Idempotency

    @Test("re-acquire of a live session attaches durably and renews the lease, without a new seat")
    func reacquireLive() throws {
        var h = Harness(seats: 1)
        let s = try h.grant("alice")
        h.advance(600)
        let drawn = h.tokensDrawn
        let attached = try #require(h.acquire("alice").attached)
        #expect(attached.durable)
        #expect(attached.session.token == s.token)
        #expect(attached.session.createdAt == s.createdAt)
        #expect(attached.session.lastHeartbeatAt == ts(600))
        #expect(attached.session.leaseExpiresAt == ts(1_600))
        #expect(h.ledger.session(s.token) == attached.session)
        #expect(h.ledger.phase(of: s.token) == .live)
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.tokensDrawn == drawn, "attach must not draw a token")
    }

    @Test("re-acquire attaches even when the license is full")
    func reacquireWhenFull() throws {
        var h = Harness(seats: 2)
        let s = try h.grant("a")
        _ = try h.grant("b")
        h.advance(10)
        #expect(h.acquire("a").attached?.session.token == s.token)
        #expect(h.ledger.seatsInUse == 2)
    }

    @Test("re-acquire while the grant is pending attaches non-durably and does not renew")
    func reacquirePending() throws {
        var h = Harness(seats: 1)
        let first = try #require(h.acquire("alice").granted).session
        h.advance(300)
        let attached = try #require(h.acquire("alice").attached)
        #expect(!attached.durable)
        #expect(attached.session == first)
        #expect(h.ledger.session(first.token)?.leaseExpiresAt == ts(1_000))
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ledger.phase(of: first.token) == .pending)
    }

    @Test("many re-acquires never take a second seat")
    func manyReacquires() throws {
        var h = Harness(seats: 5)
        let s = try h.grant("alice")
        for _ in 0..<50 {
            h.advance(100)
            #expect(h.acquire("alice").attached?.session.token == s.token)
        }
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ledger.session(s.token)?.leaseExpiresAt == h.now.adding(milliseconds: 1_000))
    }

    @Test("re-acquire exactly at lease expiry is a new grant that reclaims the old session")
    func reacquireAtExpiry() throws {
        var h = Harness(seats: 3)
        let old = try h.grant("alice")
        h.set(999)
        #expect(h.acquire("alice").attached?.session.token == old.token)
        h.set(1_999) // the re-acquire renewed the lease to 1999
        let granted = try #require(h.acquire("alice").granted)
        #expect(granted.session.token != old.token)
        #expect(granted.reclaimed.map(\.token) == [old.token])
        #expect(h.ledger.phase(of: old.token) == .ending(.expired))
        #expect(h.ledger.phase(of: granted.session.token) == .pending)
        // Another acquire by the same holder attaches to the new pending grant.
        #expect(h.acquire("alice").attached?.session.token == granted.session.token)
        h.ledger.confirmGrant(granted.session.token, reclaimed: granted.reclaimed.map(\.token))
        #expect(h.ledger.session(old.token) == nil)
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.acquire("alice").attached?.session.token == granted.session.token)
    }

    @Test("own lapsed session is reclaimed even when there is room, so the holder keeps one seat")
    func ownLapsedReclaimedWithRoom() throws {
        var h = Harness(seats: 5)
        let old = try h.grant("alice")
        let other = try h.grant("bob")
        h.set(2_000)
        let granted = try #require(h.acquire("alice").granted)
        // Only the holder's own lapsed session is reclaimed when the license has room.
        #expect(granted.reclaimed.map(\.token) == [old.token])
        #expect(h.ledger.phase(of: other.token) == .live)
        h.ledger.confirmGrant(granted.session.token, reclaimed: [old.token])
        #expect(h.ledger.seatsInUse == 2)
    }

    @Test("a holder whose previous session is ending gets a new one")
    func holderWithEndingSession() throws {
        var h = Harness(seats: 2)
        let old = try h.grant("alice")
        #expect(h.ledger.beginEnd(old.token, reason: .released) == .ending(old))
        let granted = try #require(h.acquire("alice").granted)
        #expect(granted.reclaimed.isEmpty)
        #expect(granted.session.token != old.token)
        #expect(h.ledger.seatsInUse == 2)
        h.ledger.finishEnd([old.token])
        #expect(h.ledger.seatsInUse == 1)
        // The index still points at the new session.
        h.ledger.confirmGrant(granted.session.token, reclaimed: [])
        #expect(h.acquire("alice").attached?.session.token == granted.session.token)
    }

    @Test("a holder's ending session still holds its seat: a full license refuses the holder")
    func endingHolderFull() throws {
        var h = Harness(seats: 1)
        let old = try h.grant("alice")
        _ = h.ledger.beginEnd(old.token, reason: .released)
        #expect(h.acquire("alice").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(0)))
    }

    // MARK: Reclaiming lapsed sessions

    @Test("a full license with a lapsed session grants and reclaims it")
    func reclaimWhenFull() throws {
        var h = Harness(seats: 2)
        let a = try h.grant("a")
        h.set(500)
        let b = try h.grant("b")
        h.set(1_000) // a lapses exactly now; b until 1500
        let granted = try #require(h.acquire("c").granted)
        #expect(granted.reclaimed == [a])
        #expect(h.ledger.phase(of: a.token) == .ending(.expired))
        #expect(h.ledger.phase(of: b.token) == .live)
        h.ledger.confirmGrant(granted.session.token, reclaimed: [a.token])
        #expect(h.ledger.session(a.token) == nil)
        #expect(h.ledger.seatsInUse == 2)
        #expect(h.ledger.phase(of: granted.session.token) == .live)
        // The reclaimed holder re-acquiring now finds the license full.
        #expect(h.acquire("a").refusal == .noSeats(seatsTotal: 2, seatsInUse: 2, nextFreeAt: ts(1_500)))
    }

    @Test("one millisecond before expiry nothing is reclaimable")
    func noReclaimBeforeExpiry() throws {
        var h = Harness(seats: 1)
        _ = try h.grant("a")
        h.set(999)
        #expect(h.acquire("b").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
    }

    @Test("a full license reclaims every lapsed live session in one grant")
    func reclaimAllLapsed() throws {
        var h = Harness(seats: 3)
        let a = try h.grant("a")
        let b = try h.grant("b")
        h.set(100)
        let c = try h.grant("c")
        h.set(1_050) // a and b lapsed; c not
        let granted = try #require(h.acquire("d").granted)
        #expect(Set(granted.reclaimed.map(\.token)) == [a.token, b.token])
        #expect(h.ledger.phase(of: c.token) == .live)
        h.ledger.confirmGrant(granted.session.token, reclaimed: granted.reclaimed.map(\.token))
        #expect(h.ledger.seatsInUse == 2)
        #expect(h.ledger.seatsFree == 1)
    }

    @Test("pending and ending sessions are never reclaimed, even when lapsed")
    func onlyLiveIsReclaimed() throws {
        var h = Harness(seats: 2)
        let pending = try #require(h.acquire("a").granted).session
        let ending = try h.grant("b")
        _ = h.ledger.beginEnd(ending.token, reason: .released)
        h.set(5_000)
        #expect(h.acquire("c").refusal == .noSeats(seatsTotal: 2, seatsInUse: 2, nextFreeAt: ts(5_000)))
        #expect(h.ledger.phase(of: pending.token) == .pending)
        #expect(h.ledger.phase(of: ending.token) == .ending(.released))
    }

    @Test("abortGrant removes the grant and revives reclaimed sessions")
    func abortGrantRevives() throws {
        var h = Harness(seats: 1)
        let a = try h.grant("a")
        h.set(1_500)
        let granted = try #require(h.acquire("b").granted)
        #expect(granted.reclaimed == [a])
        h.ledger.abortGrant(granted.session.token, reclaimed: [a.token])
        #expect(h.ledger.session(granted.session.token) == nil)
        #expect(h.ledger.phase(of: a.token) == .live)
        #expect(h.ledger.seatsInUse == 1)
        // The revived session is still lapsed: the holder re-acquiring gets a new one,
        // and b can try again and reclaim it.
        let retry = try #require(h.acquire("b").granted)
        #expect(retry.reclaimed == [a])
        #expect(retry.session.token != granted.session.token)
    }

    @Test("abortGrant of the holder's own reclaim makes the old session the holder's again")
    func abortOwnReclaim() throws {
        var h = Harness(seats: 2)
        let old = try h.grant("alice")
        h.set(1_200)
        let granted = try #require(h.acquire("alice").granted)
        h.ledger.abortGrant(granted.session.token, reclaimed: [old.token])
        #expect(h.ledger.phase(of: old.token) == .live)
        #expect(h.ledger.seatsInUse == 1)
        // The old session is still lapsed, so the next acquire reclaims it again (no second seat).
        let again = try #require(h.acquire("alice").granted)
        #expect(again.reclaimed.map(\.token) == [old.token])
        #expect(h.ledger.seatsInUse == 2)
        h.ledger.confirmGrant(again.session.token, reclaimed: [old.token])
        #expect(h.ledger.seatsInUse == 1)
    }

    @Test("after abortGrant the holder can acquire again and gets a fresh seat")
    func abortGrantFreesHolder() throws {
        var h = Harness(seats: 1)
        let g = try #require(h.acquire("a").granted).session
        h.ledger.abortGrant(g.token, reclaimed: [])
        #expect(h.ledger.seatsInUse == 0)
        #expect(h.ledger.phase(of: g.token) == nil)
        let again = try #require(h.acquire("a").granted).session
        #expect(again.token != g.token)
        #expect(h.ledger.seatsInUse == 1)
    }

    // MARK: Tokens

    @Test("a colliding token is redrawn, never overwriting a session")
    func tokenCollision() throws {
        var ledger = SeatLedger(license: license(seats: 3))
        let first = try #require(ledger.acquire(request("a"), now: ts(0), policy: testPolicy, newToken: { token(1) }).granted).session
        var script = [token(1), token(1), token(2)]
        var draws = 0
        let second = try #require(ledger.acquire(request("b"), now: ts(0), policy: testPolicy, newToken: {
            draws += 1
            return script.removeFirst()
        }).granted).session
        #expect(second.token == token(2))
        #expect(draws == 3)
        #expect(ledger.session(token(1)) == first)
        #expect(ledger.seatsInUse == 2)
    }

    @Test("refusals draw no token")
    func refusalsDrawNoToken() throws {
        var h = Harness(seats: 1)
        _ = try h.grant("a")
        let drawn = h.tokensDrawn
        _ = h.acquire("b")
        h.ledger.updateLicense(license(seats: 1, state: .suspended))
        _ = h.acquire("c")
        #expect(h.tokensDrawn == drawn)
    }

    // MARK: License refusals

    @Test("a suspended or revoked license refuses acquire, even for re-attach", arguments: [
        (LicenseState.suspended, LicenseRefusal.suspended),
        (LicenseState.revoked, LicenseRefusal.revoked),
    ])
    func stateRefusals(state: LicenseState, refusal: LicenseRefusal) throws {
        var h = Harness(seats: 2)
        let s = try h.grant("a")
        h.ledger.updateLicense(license(seats: 2, state: state))
        #expect(h.acquire("a") == .refused(.license(refusal)))
        #expect(h.acquire("b") == .refused(.license(refusal)))
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ledger.session(s.token)?.leaseExpiresAt == ts(1_000), "refused re-attach must not renew")
        h.ledger.updateLicense(license(seats: 2))
        #expect(h.acquire("a").attached?.session.token == s.token)
    }

    @Test("an expired license refuses from expiresAt on")
    func expiredLicense() throws {
        var h = Harness(license: license(seats: 2, expiresAt: ts(10_000)), now: 9_999)
        let s = try h.grant("a")
        h.set(10_000)
        #expect(h.acquire("a") == .refused(.license(.expired(at: ts(10_000)))))
        #expect(h.acquire("b") == .refused(.license(.expired(at: ts(10_000)))))
        h.set(20_000)
        #expect(h.acquire("b") == .refused(.license(.expired(at: ts(10_000)))))
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ledger.phase(of: s.token) == .live, "refusal must not reclaim")
    }

    @Test("license refusal wins over noSeats")
    func licenseBeforeSeats() throws {
        var h = Harness(seats: 1)
        _ = try h.grant("a")
        h.ledger.updateLicense(license(seats: 1, state: .suspended))
        #expect(h.acquire("b") == .refused(.license(.suspended)))
    }

    // MARK: Seat count changes

    @Test("lowering seats below the held sessions keeps them but grants nothing until below")
    func loweredSeats() throws {
        var h = Harness(seats: 3)
        let a = try h.grant("a")
        h.set(100)
        let b = try h.grant("b")
        h.set(200)
        let c = try h.grant("c")
        h.ledger.updateLicense(license(seats: 1))
        // Reported as full, never as more seats than the license has.
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ledger.seatsTotal == 1)
        #expect(h.ledger.seatsFree == 0)
        // Existing holders keep their seats.
        h.set(300)
        #expect(h.acquire("a").attached?.session.token == a.token)
        #expect(h.heartbeat(b.token).extended != nil)
        #expect(h.acquire("d").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_200)))
        // One ends: still 2 > 1 seats, still no grant.
        _ = h.ledger.beginEnd(a.token, reason: .released)
        h.ledger.finishEnd([a.token])
        #expect(h.acquire("d").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_200)))
        _ = h.ledger.beginEnd(b.token, reason: .released)
        h.ledger.finishEnd([b.token])
        #expect(h.acquire("d").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_200)))
        _ = h.ledger.beginEnd(c.token, reason: .released)
        h.ledger.finishEnd([c.token])
        _ = try h.grant("d")
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.acquire("e").granted == nil)
    }

    @Test("with seats lowered, a grant needs enough lapsed sessions to get under the limit")
    func loweredSeatsNeedsEnoughReclaim() throws {
        var h = Harness(seats: 3)
        _ = try h.grant("a")
        _ = try h.grant("b")
        h.set(500)
        let c = try h.grant("c")
        h.ledger.updateLicense(license(seats: 1))
        h.set(1_000) // a and b lapsed, c live until 1500: 3 - 2 = 1 >= 1 seat
        #expect(h.acquire("d").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
        #expect(h.ledger.sessions.count == 3)
        #expect(h.ledger.phase(of: c.token) == .live)
        h.set(1_500) // all three lapsed
        let granted = try #require(h.acquire("d").granted)
        #expect(granted.reclaimed.count == 3)
        h.ledger.confirmGrant(granted.session.token, reclaimed: granted.reclaimed.map(\.token))
        #expect(h.ledger.seatsInUse == 1)
    }

    @Test("raising seats lets new holders in")
    func raisedSeats() throws {
        var h = Harness(seats: 1)
        _ = try h.grant("a")
        #expect(h.acquire("b").refusal != nil)
        h.ledger.updateLicense(license(seats: 2))
        #expect(h.ledger.license.seats == 2)
        _ = try h.grant("b")
        #expect(h.acquire("c").refusal == .noSeats(seatsTotal: 2, seatsInUse: 2, nextFreeAt: ts(1_000)))
    }

    // MARK: nextFreeAt

    @Test("nextFreeAt is the earliest lease expiry among pending and live sessions")
    func nextFreeAtEarliest() throws {
        var h = Harness(seats: 3)
        #expect(h.ledger.nextFreeAt(now: ts(0)) == ts(0))
        h.set(300)
        _ = try h.grant("a")          // until 1300
        h.set(100)
        _ = try h.grant("b")          // until 1100 (clock went back: order must not matter)
        h.set(500)
        _ = h.acquire("c")            // pending until 1500
        #expect(h.ledger.nextFreeAt(now: ts(500)) == ts(1_100))
        #expect(h.acquire("d").refusal == .noSeats(seatsTotal: 3, seatsInUse: 3, nextFreeAt: ts(1_100)))
    }

    @Test("nextFreeAt is now while an end is being committed")
    func nextFreeAtEnding() throws {
        var h = Harness(seats: 2)
        _ = try h.grant("a")
        h.set(400)
        let b = try h.grant("b")
        h.set(500)
        _ = h.ledger.beginEnd(b.token, reason: .released)
        #expect(h.ledger.nextFreeAt(now: ts(500)) == ts(500))
        #expect(h.acquire("c").refusal == .noSeats(seatsTotal: 2, seatsInUse: 2, nextFreeAt: ts(500)))
        h.ledger.abortEnd([b.token])
        #expect(h.ledger.nextFreeAt(now: ts(500)) == ts(1_000))
    }

    @Test("nextFreeAt is never before now")
    func nextFreeAtNotPast() throws {
        var h = Harness(seats: 1)
        let pending = try #require(h.acquire("a").granted).session
        // A pending session is not reclaimable, so even long after its lease it blocks.
        h.set(7_000)
        #expect(h.ledger.nextFreeAt(now: h.now) == ts(7_000))
        #expect(h.acquire("b").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(7_000)))
        _ = pending
    }
}

@Suite("SeatLedger: the holder includes the access key")
struct SeatLedgerHolderKeyTests {
    /// Knowing someone's user name and hardware id must not hand over their session.
    @Test func anotherKeyWithTheSameUserAndHardwareGetsItsOwnSessionNeverTheOther() throws {
        var h = Harness(seats: 2)
        let first = try #require(h.acquire("ana", key: "key-a").granted).session
        h.ledger.confirmGrant(first.token, reclaimed: [])
        #expect(h.acquire("ana", key: "key-a").attached?.session.token == first.token)
        let other = try #require(h.acquire("ana", key: "key-b").granted, "a second key re-attached to the first key's session")
        #expect(other.session.token != first.token)
        #expect(other.session.accessKeyID == "key-b")
        h.ledger.confirmGrant(other.session.token, reclaimed: [])
        // With every seat taken, a third key is refused like any other newcomer.
        #expect(h.acquire("ana", key: "key-c").refusal == .noSeats(seatsTotal: 2, seatsInUse: 2, nextFreeAt: first.leaseExpiresAt))
    }
}
