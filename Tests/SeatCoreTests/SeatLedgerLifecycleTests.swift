import SeatCore
import Testing

@Suite("SeatLedger: heartbeat")
struct SeatLedgerHeartbeatTests {
    @Test("heartbeat extends a live session's lease from now")
    func extendsLive() throws {
        var h = Harness(seats: 1)
        let s = try h.grant("a")
        h.set(999)
        let extended = try #require(h.heartbeat(s.token).extended)
        #expect(extended.token == s.token)
        #expect(extended.lastHeartbeatAt == ts(999))
        #expect(extended.leaseExpiresAt == ts(1_999))
        #expect(extended.createdAt == ts(0))
        #expect(h.ledger.session(s.token) == extended)
        #expect(h.ledger.phase(of: s.token) == .live)
        // Keeps going as long as heartbeats arrive before expiry.
        for t in stride(from: Int64(1_900), through: 10_000, by: 900) {
            h.set(t)
            #expect(h.heartbeat(s.token).extended?.leaseExpiresAt == ts(t + 1_000))
        }
    }

    /// testPolicy: interval 300 ms, so heartbeats within 150 ms of the last stored one
    /// (the grant's at first) are not written.
    @Test("a heartbeat is stored when half an interval has passed since the last stored one, not before")
    func storesAtHalfIntervals() throws {
        var h = Harness(seats: 1)
        let s = try h.grant("a")
        h.set(149)
        #expect(h.heartbeat(s.token).stores == false)
        h.set(150)
        #expect(h.heartbeat(s.token).stores == true)
        for t: Int64 in [151, 200, 299] {
            h.set(t)
            let outcome = h.heartbeat(s.token)
            #expect(outcome.stores == false, "at \(t)")
            #expect(outcome.extended?.leaseExpiresAt == ts(t + 1_000), "the lease is renewed all the same")
        }
        h.set(300)
        #expect(h.heartbeat(s.token).stores == true)
        // A client on schedule has every heartbeat stored.
        for t in stride(from: Int64(600), through: 3_000, by: 300) {
            h.set(t)
            #expect(h.heartbeat(s.token).stores == true, "at \(t)")
        }
    }

    @Test("a restored session counts from its stored heartbeat")
    func restoredStoresFromItsStoredHeartbeat() throws {
        let stored = storedSession(1, user: "alice", createdAt: 10_000, leaseExpiresAt: 11_000)
        var ledger = SeatLedger(license: license(seats: 1), restoring: [stored])
        #expect(ledger.heartbeat(stored.token, now: ts(10_149), policy: testPolicy).stores == false)
        #expect(ledger.heartbeat(stored.token, now: ts(10_150), policy: testPolicy).stores == true)
    }

    @Test("heartbeat extends a pending session and keeps it pending")
    func extendsPending() throws {
        var h = Harness(seats: 1)
        let s = try #require(h.acquire("a").granted).session
        h.set(500)
        #expect(h.heartbeat(s.token).extended?.leaseExpiresAt == ts(1_500))
        #expect(h.ledger.phase(of: s.token) == .pending)
    }

    @Test("heartbeat at or after lease expiry begins the expiry, to be committed before the holder is told; it never revives")
    func lapsedBeginsExpiry() throws {
        var h = Harness(seats: 1)
        let s = try h.grant("a")
        h.set(1_000)
        #expect(h.heartbeat(s.token) == .expiring(s))
        #expect(h.ledger.phase(of: s.token) == .ending(.expired))
        #expect(h.ledger.session(s.token)?.leaseExpiresAt == ts(1_000))
        h.set(5_000)
        #expect(h.heartbeat(s.token) == .awaitingEnd(.expired))
        // Still holds its seat until the expiry is durable.
        #expect(h.ledger.seatsInUse == 1)
        h.ledger.finishEnd([s.token])
        #expect(h.ledger.seatsInUse == 0)
        #expect(h.heartbeat(s.token) == .refused(.unknownSession))
    }

    @Test("heartbeat while ending waits for the end with its reason", arguments: SessionEnd.allCases)
    func endingAwaited(reason: SessionEnd) throws {
        var h = Harness(seats: 1)
        let s = try h.grant("a")
        _ = h.ledger.beginEnd(s.token, reason: reason)
        #expect(h.heartbeat(s.token) == .awaitingEnd(reason))
        #expect(h.ledger.session(s.token)?.leaseExpiresAt == ts(1_000))
    }

    @Test("heartbeat for an unknown or finished session is unknownSession")
    func unknown() throws {
        var h = Harness(seats: 1)
        #expect(h.heartbeat(token(999)) == .refused(.unknownSession))
        let s = try h.grant("a")
        _ = h.ledger.beginEnd(s.token, reason: .released)
        h.ledger.finishEnd([s.token])
        #expect(h.heartbeat(s.token) == .refused(.unknownSession))
        let p = try #require(h.acquire("b").granted).session
        h.ledger.abortGrant(p.token, reclaimed: [])
        #expect(h.heartbeat(p.token) == .refused(.unknownSession))
    }

    @Test("heartbeat on an unusable license is refused and does not extend", arguments: [
        (license(seats: 1, state: .suspended), HeartbeatRefusal.license(.suspended)),
        (license(seats: 1, state: .revoked), HeartbeatRefusal.license(.revoked)),
        (license(seats: 1, expiresAt: ts(500)), HeartbeatRefusal.license(.expired(at: ts(500)))),
    ])
    func licenseRefused(newLicense: License, refusal: HeartbeatRefusal) throws {
        var h = Harness(seats: 1)
        let s = try h.grant("a")
        h.ledger.updateLicense(newLicense)
        h.set(600)
        #expect(h.heartbeat(s.token) == .refused(refusal))
        #expect(h.ledger.session(s.token)?.leaseExpiresAt == ts(1_000))
        #expect(h.ledger.session(s.token)?.lastHeartbeatAt == ts(0))
    }

    @Test("a license expiring in the future does not stop heartbeats before then")
    func licenseExpiresLater() throws {
        var h = Harness(license: license(seats: 1, expiresAt: ts(700)))
        let s = try h.grant("a")
        h.set(699)
        #expect(h.heartbeat(s.token).extended != nil)
        h.set(700)
        #expect(h.heartbeat(s.token) == .refused(.license(.expired(at: ts(700)))))
    }
}

@Suite("SeatLedger: ending sessions")
struct SeatLedgerEndTests {
    @Test("beginEnd keeps the seat until finishEnd", arguments: SessionEnd.allCases)
    func endHoldsSeat(reason: SessionEnd) throws {
        var h = Harness(seats: 1)
        let s = try h.grant("a")
        #expect(h.ledger.beginEnd(s.token, reason: reason) == .ending(s))
        #expect(h.ledger.phase(of: s.token) == .ending(reason))
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ledger.seatsFree == 0)
        #expect(h.acquire("b").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(0)))
        h.ledger.finishEnd([s.token])
        #expect(h.ledger.session(s.token) == nil)
        #expect(h.ledger.phase(of: s.token) == nil)
        #expect(h.ledger.seatsInUse == 0)
        _ = try h.grant("b")
    }

    @Test("a second beginEnd reports the end already in flight and does not change it")
    func alreadyEnding() throws {
        var h = Harness(seats: 1)
        let s = try h.grant("a")
        _ = h.ledger.beginEnd(s.token, reason: .released)
        #expect(h.ledger.beginEnd(s.token, reason: .revoked) == .alreadyEnding(.released))
        #expect(h.ledger.phase(of: s.token) == .ending(.released))
        #expect(h.ledger.beginEnd(token(12345), reason: .released) == .unknownSession)
    }

    @Test("abortEnd makes the session live again and attachable")
    func abortEnd() throws {
        var h = Harness(seats: 1)
        let s = try h.grant("a")
        _ = h.ledger.beginEnd(s.token, reason: .released)
        h.ledger.abortEnd([s.token])
        #expect(h.ledger.phase(of: s.token) == .live)
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.heartbeat(s.token).extended != nil)
        #expect(h.acquire("a").attached?.session.token == s.token)
        #expect(h.acquire("b").refusal != nil)
    }

    @Test("finishEnd and abortEnd ignore sessions that are not ending")
    func finishAndAbortIgnoreNonEnding() throws {
        var h = Harness(seats: 3)
        let live = try h.grant("a")
        let pending = try #require(h.acquire("b").granted).session
        h.ledger.finishEnd([live.token, pending.token, token(999)])
        #expect(h.ledger.phase(of: live.token) == .live)
        #expect(h.ledger.phase(of: pending.token) == .pending)
        h.ledger.abortEnd([live.token, pending.token, token(999)])
        #expect(h.ledger.phase(of: live.token) == .live)
        #expect(h.ledger.phase(of: pending.token) == .pending)
        #expect(h.ledger.seatsInUse == 2)
        // Finishing twice is harmless.
        _ = h.ledger.beginEnd(live.token, reason: .released)
        h.ledger.finishEnd([live.token])
        h.ledger.finishEnd([live.token])
        h.ledger.abortEnd([live.token])
        #expect(h.ledger.session(live.token) == nil)
        #expect(h.ledger.seatsInUse == 1)
    }

    @Test("beginExpiry ends exactly the lapsed live sessions")
    func expirySweep() throws {
        var h = Harness(seats: 5)
        let a = try h.grant("a")                          // until 1000
        h.set(200)
        let b = try h.grant("b")                          // until 1200
        let pending = try #require(h.acquire("c").granted).session // pending until 1200
        let released = try h.grant("d")
        _ = h.ledger.beginEnd(released.token, reason: .released)
        h.set(999)
        #expect(h.ledger.beginExpiry(now: h.now).isEmpty)
        h.set(1_000)
        #expect(h.ledger.beginExpiry(now: h.now) == [a])
        #expect(h.ledger.phase(of: a.token) == .ending(.expired))
        // Already ending: not returned again.
        #expect(h.ledger.beginExpiry(now: h.now).isEmpty)
        h.set(5_000)
        #expect(h.ledger.beginExpiry(now: h.now) == [b])
        #expect(h.ledger.phase(of: pending.token) == .pending, "a pending grant is not swept")
        #expect(h.ledger.phase(of: released.token) == .ending(.released), "an end in flight keeps its reason")
        #expect(h.ledger.seatsInUse == 4)
        h.ledger.finishEnd([a.token, b.token])
        #expect(h.ledger.seatsInUse == 2)
        #expect(h.heartbeat(a.token) == .refused(.unknownSession))
    }

    @Test("a failed expiry commit revives the sessions, still lapsed")
    func expiryAbort() throws {
        var h = Harness(seats: 1)
        let a = try h.grant("a")
        h.set(2_000)
        let swept = h.ledger.beginExpiry(now: h.now).map(\.token)
        #expect(swept == [a.token])
        #expect(h.heartbeat(a.token) == .awaitingEnd(.expired))
        h.ledger.abortEnd(swept)
        #expect(h.ledger.phase(of: a.token) == .live)
        #expect(h.ledger.beginExpiry(now: h.now).map(\.token) == [a.token])
    }

    @Test("a deferred revocation stands: no heartbeat extends it, and retryEnds hands it out once")
    func deferredRevocation() throws {
        var h = Harness(seats: 2)
        let a = try h.grant("a")
        let ended = h.ledger.beginEndAll(reason: .revoked).map(\.token)
        h.ledger.deferEnd(ended)
        h.set(100)
        #expect(h.heartbeat(a.token) == .awaitingEnd(.revoked))
        #expect(h.ledger.session(a.token)?.leaseExpiresAt == ts(1_000))
        #expect(h.ledger.seatsInUse == 1)
        // Not reclaimable and not swept as lapsed: it is already ending.
        h.set(5_000)
        #expect(h.ledger.beginExpiry(now: h.now).isEmpty)
        let retries = h.ledger.retryEnds()
        #expect(retries.map(\.session.token) == [a.token])
        #expect(retries.map(\.end) == [.revoked])
        #expect(h.ledger.retryEnds().isEmpty)
        h.ledger.finishEnd([a.token])
        #expect(h.ledger.isEmpty)
    }

    @Test("beginEndAll ends every pending and live session, but not those already ending")
    func endAll() throws {
        var h = Harness(seats: 4)
        let a = try h.grant("a")
        let b = try h.grant("b")
        let p = try #require(h.acquire("c").granted).session
        _ = h.ledger.beginEnd(b.token, reason: .released)
        let ended = h.ledger.beginEndAll(reason: .revoked)
        #expect(Set(ended.map(\.token)) == [a.token, p.token])
        #expect(h.ledger.phase(of: a.token) == .ending(.revoked))
        #expect(h.ledger.phase(of: p.token) == .ending(.revoked))
        #expect(h.ledger.phase(of: b.token) == .ending(.released))
        #expect(h.ledger.beginEndAll(reason: .revoked).isEmpty)
        #expect(h.ledger.seatsInUse == 3)
        #expect(h.heartbeat(a.token) == .awaitingEnd(.revoked))
        h.ledger.finishEnd(ended.map(\.token))
        h.ledger.finishEnd([b.token])
        #expect(h.ledger.seatsInUse == 0)
        #expect(h.ledger.sessions.isEmpty)
    }

    @Test("confirmGrant after the pending session was ended leaves it ending")
    func confirmAfterEnd() throws {
        var h = Harness(seats: 2)
        let p = try #require(h.acquire("a").granted).session
        _ = h.ledger.beginEndAll(reason: .revoked)
        h.ledger.confirmGrant(p.token, reclaimed: [])
        #expect(h.ledger.phase(of: p.token) == .ending(.revoked))
        h.ledger.finishEnd([p.token])
        #expect(h.ledger.seatsInUse == 0)
    }

    @Test("a failed end of a still-pending grant returns it to pending, not live")
    func abortEndOfPending() throws {
        var h = Harness(seats: 2)
        let p = try #require(h.acquire("a").granted).session
        let ended = h.ledger.beginEndAll(reason: .revoked)
        #expect(ended == [p])
        h.ledger.abortEnd([p.token])
        // Its grant has not been committed yet, so it must not look durable.
        #expect(h.ledger.phase(of: p.token) == .pending)
        #expect(h.acquire("a").attached?.durable == false)
        h.ledger.confirmGrant(p.token, reclaimed: [])
        #expect(h.ledger.phase(of: p.token) == .live)
        #expect(h.acquire("a").attached?.durable == true)
    }

    @Test("a failed end of a grant confirmed meanwhile returns it to live")
    func abortEndAfterConfirm() throws {
        var h = Harness(seats: 2)
        let p = try #require(h.acquire("a").granted).session
        _ = h.ledger.beginEnd(p.token, reason: .revoked)
        h.ledger.confirmGrant(p.token, reclaimed: [])
        #expect(h.ledger.phase(of: p.token) == .ending(.revoked))
        h.ledger.abortEnd([p.token])
        #expect(h.ledger.phase(of: p.token) == .live)
    }

    @Test("a grant reclaimed between begin and abort keeps its seat accounting", arguments: [true, false])
    func reclaimConfirmOrAbort(confirm: Bool) throws {
        var h = Harness(seats: 1)
        let a = try h.grant("a")
        h.set(1_000)
        let g = try #require(h.acquire("b").granted)
        // While the grant is in flight both are held, on the one seat: storage has at most
        // one of them either way, and no one is told 2 of 1 seats are in use.
        #expect(h.ledger.sessions.count == 2)
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.acquire("c").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
        #expect(h.heartbeat(a.token) == .awaitingEnd(.expired))
        if confirm {
            h.ledger.confirmGrant(g.session.token, reclaimed: [a.token])
            #expect(h.ledger.sessions.map(\.token) == [g.session.token])
        } else {
            h.ledger.abortGrant(g.session.token, reclaimed: [a.token])
            #expect(h.ledger.sessions.map(\.token) == [a.token])
            #expect(h.ledger.phase(of: a.token) == .live)
        }
        #expect(h.ledger.seatsInUse == 1)
    }
}

@Suite("SeatLedger: holder index across failed commits")
struct SeatLedgerHolderIndexTests {
    /// Release in flight, same holder re-acquires, then both commits fail. Whatever the
    /// order of the aborts, the revived session must be the holder's again: a further
    /// acquire attaches to it instead of taking a second seat.
    @Test("release + re-acquire, both aborted, in either order", arguments: [true, false])
    func bothAborted(abortEndFirst: Bool) throws {
        var h = Harness(seats: 3)
        let old = try h.grant("alice")
        _ = h.ledger.beginEnd(old.token, reason: .released)
        let g = try #require(h.acquire("alice").granted).session
        if abortEndFirst {
            h.ledger.abortEnd([old.token])
            h.ledger.abortGrant(g.token, reclaimed: [])
        } else {
            h.ledger.abortGrant(g.token, reclaimed: [])
            h.ledger.abortEnd([old.token])
        }
        #expect(h.ledger.phase(of: old.token) == .live)
        #expect(h.ledger.seatsInUse == 1)
        h.advance(10)
        let again = h.acquire("alice")
        #expect(again.attached?.session.token == old.token, "got \(again)")
        #expect(h.ledger.seatsInUse == 1)
    }

    /// Release of A in flight; the holder gets B; B is released and finished; then A's end
    /// fails. A is the holder's only session and must be found by the next acquire.
    @Test("revived session is found after the newer session is finished")
    func revivedAfterNewerFinished() throws {
        var h = Harness(seats: 3)
        let a = try h.grant("alice")
        _ = h.ledger.beginEnd(a.token, reason: .released)
        let b = try h.grant("alice")
        _ = h.ledger.beginEnd(b.token, reason: .released)
        h.ledger.abortEnd([a.token])
        h.ledger.finishEnd([b.token])
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.acquire("alice").attached?.session.token == a.token)
        #expect(h.ledger.seatsInUse == 1)
    }

    /// Release in flight, re-acquire committed, then the release fails: the holder really
    /// has two sessions in storage. Re-acquires attach to one of them; no third seat.
    @Test("a revived duplicate never leads to a third seat")
    func duplicateNoThirdSeat() throws {
        var h = Harness(seats: 5)
        let a = try h.grant("alice")
        _ = h.ledger.beginEnd(a.token, reason: .released)
        let b = try h.grant("alice")
        h.ledger.abortEnd([a.token])
        #expect(h.ledger.seatsInUse == 2)
        for _ in 0..<3 {
            h.advance(100)
            let token = try #require(h.acquire("alice").attached).session.token
            #expect(token == a.token || token == b.token)
        }
        // End the session acquire attaches to; the other must then be found.
        let first = try #require(h.acquire("alice").attached).session.token
        _ = h.ledger.beginEnd(first, reason: .released)
        h.ledger.finishEnd([first])
        let second = try #require(h.acquire("alice").attached).session.token
        #expect(second != first && (second == a.token || second == b.token))
        #expect(h.ledger.seatsInUse == 1)
    }

    @Test("a reclaimed session revived by abortGrant is reclaimed by its own holder, not doubled")
    func reclaimedRevivedAfterHolderReacquired() throws {
        var h = Harness(seats: 2)
        let a = try h.grant("alice")
        let b0 = try h.grant("bob")
        h.set(999)
        #expect(h.heartbeat(b0.token).extended != nil) // bob until 1999
        h.set(1_000)
        let g = try #require(h.acquire("carol").granted) // reclaims alice's lapsed session
        #expect(g.reclaimed.map(\.token) == [a.token])
        h.ledger.abortGrant(g.session.token, reclaimed: [a.token])
        // alice is lapsed again but holds her seat; re-acquire reclaims her own, never two.
        let again = try #require(h.acquire("alice").granted)
        #expect(again.reclaimed.map(\.token) == [a.token])
        h.ledger.confirmGrant(again.session.token, reclaimed: [a.token])
        #expect(h.ledger.seatsInUse == 2)
    }
}

@Suite("SeatLedger: restore")
struct SeatLedgerRestoreTests {
    @Test("restored sessions are live, counted and attachable")
    func restore() throws {
        let a = storedSession(1, user: "a", leaseExpiresAt: 5_000)
        let b = storedSession(2, user: "b", leaseExpiresAt: 6_000)
        var h = Harness(seats: 2, now: 1_000, restoring: [a, b])
        #expect(h.ledger.seatsInUse == 2)
        #expect(h.ledger.phase(of: a.token) == .live && h.ledger.phase(of: b.token) == .live)
        #expect(Set(h.ledger.sessions.map(\.token)) == [a.token, b.token])
        #expect(h.acquire("a").attached?.session.token == a.token)
        #expect(h.acquire("c").refusal == .noSeats(seatsTotal: 2, seatsInUse: 2, nextFreeAt: ts(2_000)))
        #expect(h.heartbeat(b.token).extended != nil)
    }

    @Test("restoring more sessions than seats keeps them all but grants nothing")
    func restoreOverSeats() {
        let sessions = (1...3).map { storedSession(UInt64($0), user: "u\($0)", leaseExpiresAt: 9_000) }
        var h = Harness(seats: 1, restoring: sessions)
        #expect(h.ledger.sessions.count == 3)
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ledger.seatsFree == 0)
        #expect(h.acquire("x").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(9_000)))
    }

    @Test("with a duplicate holder in storage, re-acquire attaches to the newest", arguments: [true, false])
    func duplicateHolderNewest(newestFirst: Bool) throws {
        let older = storedSession(1, user: "a", createdAt: 100, leaseExpiresAt: 5_000)
        let newer = storedSession(2, user: "a", createdAt: 200, leaseExpiresAt: 5_000)
        var h = Harness(seats: 5, now: 300, restoring: newestFirst ? [newer, older] : [older, newer])
        #expect(h.ledger.seatsInUse == 2)
        #expect(h.acquire("a").attached?.session.token == newer.token)
        // Once the newest is gone, the older one is still the holder's: no new seat.
        _ = h.ledger.beginEnd(newer.token, reason: .released)
        h.ledger.finishEnd([newer.token])
        #expect(h.acquire("a").attached?.session.token == older.token)
        #expect(h.ledger.seatsInUse == 1)
    }
}
