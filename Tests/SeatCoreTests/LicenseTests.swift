import SeatCore
import Testing

@Suite("License")
struct LicenseTests {
    @Test("an active license without expiry is always usable")
    func activeNeverExpires() {
        let l = license(seats: 3)
        for t: Int64 in [.min, -1, 0, 1, 1_700_000_000_000, .max] {
            #expect(l.refusal(at: ts(t)) == nil)
        }
    }

    @Test("expiry boundary: usable before expiresAt, expired at and after it")
    func expiryBoundary() {
        let l = license(seats: 3, expiresAt: ts(10_000))
        #expect(l.refusal(at: ts(9_999)) == nil)
        #expect(l.refusal(at: ts(10_000)) == .expired(at: ts(10_000)))
        #expect(l.refusal(at: ts(10_001)) == .expired(at: ts(10_000)))
        #expect(l.refusal(at: ts(.max)) == .expired(at: ts(10_000)))
    }

    @Test("revoked and suspended are reported before expiry", arguments: [
        (LicenseState.revoked, LicenseRefusal.revoked),
        (LicenseState.suspended, LicenseRefusal.suspended),
    ])
    func stateBeforeExpiry(state: LicenseState, expected: LicenseRefusal) {
        let l = license(seats: 3, expiresAt: ts(10_000), state: state)
        #expect(l.refusal(at: ts(0)) == expected)
        #expect(l.refusal(at: ts(10_000)) == expected)
        #expect(l.refusal(at: ts(20_000)) == expected)
        let noExpiry = license(seats: 3, state: state)
        #expect(noExpiry.refusal(at: ts(0)) == expected)
    }

    @Test("every state maps to its refusal")
    func allStates() {
        for state in LicenseState.allCases {
            let refusal = license(seats: 1, state: state).refusal(at: ts(0))
            switch state {
            case .active: #expect(refusal == nil)
            case .suspended: #expect(refusal == .suspended)
            case .revoked: #expect(refusal == .revoked)
            }
        }
        #expect(LicenseState.allCases.count == 3)
        #expect(LicenseState(rawValue: "active") == .active)
        #expect(LicenseState(rawValue: "suspended") == .suspended)
        #expect(LicenseState(rawValue: "revoked") == .revoked)
    }

    @Test("init stores every field and defaults to active, never expiring")
    func initDefaults() {
        let l = License(key: "K", seats: 5)
        #expect(l.key == "K")
        #expect(l.seats == 5)
        #expect(l.tier == "")
        #expect(l.features.isEmpty)
        #expect(l.expiresAt == nil)
        #expect(l.state == .active)
        let full = License(key: "K2", seats: 1, tier: "gold", features: ["a": "b"], expiresAt: ts(5), state: .suspended)
        #expect(full.tier == "gold" && full.features == ["a": "b"] && full.expiresAt == ts(5) && full.state == .suspended)
    }
}

@Suite("LeasePolicy")
struct LeasePolicyTests {
    @Test("standard policy is a six-minute lease with a two-minute heartbeat")
    func standard() {
        #expect(LeasePolicy.standard.leaseMilliseconds == 360_000)
        #expect(LeasePolicy.standard.heartbeatIntervalMilliseconds == 120_000)
        // A client may miss two heartbeats and still hold its seat.
        #expect(LeasePolicy.standard.heartbeatIntervalMilliseconds * 3 <= LeasePolicy.standard.leaseMilliseconds)
    }

    @Test("leaseExpiry adds the lease length")
    func leaseExpiry() {
        #expect(testPolicy.leaseExpiry(from: ts(5_000)) == ts(6_000))
        #expect(LeasePolicy.standard.leaseExpiry(from: ts(0)) == ts(360_000))
    }

    @Test("restoredLeaseExpiry is max(stored, last heartbeat + lease + one interval)", arguments: [
        // (stored, lastHeartbeatAt, expected) with a 1000 ms lease and a 300 ms interval
        (Int64(1_000), Int64(0), Int64(1_300)),     // the usual case: stored = last heartbeat + lease
        (Int64(1_400), Int64(0), Int64(1_400)),     // stored later (a longer lease then): never shortened
        (Int64(900), Int64(0), Int64(1_300)),       // a shorter lease then: today's lease applies
        (Int64(51_000), Int64(50_000), Int64(51_300)),
    ])
    func restoredLeaseExpiry(stored: Int64, lastHeartbeatAt: Int64, expected: Int64) {
        #expect(testPolicy.restoredLeaseExpiry(stored: ts(stored), lastHeartbeatAt: ts(lastHeartbeatAt)) == ts(expected))
    }

    @Test("a restored lease never depends on when the restart happened: a crash loop cannot keep an abandoned seat")
    func restoredLeaseProperty() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<1_000 {
            let heartbeat = ts(Int64(rng.next() % 1_000_000))
            let stored = testPolicy.leaseExpiry(from: heartbeat)
            let restored = testPolicy.restoredLeaseExpiry(stored: stored, lastHeartbeatAt: heartbeat)
            #expect(restored >= stored)
            #expect(restored == heartbeat.adding(milliseconds: testPolicy.leaseMilliseconds + testPolicy.heartbeatIntervalMilliseconds))
            // Restoring again (another restart) changes nothing.
            #expect(testPolicy.restoredLeaseExpiry(stored: restored, lastHeartbeatAt: heartbeat) == restored)
        }
    }
}

@Suite("Timestamp, Session, Holder")
struct ValueTypeTests {
    @Test("timestamps order by milliseconds and add")
    func timestamps() {
        #expect(ts(1) < ts(2))
        #expect(!(ts(2) < ts(2)))
        #expect(ts(-1) < ts(0))
        #expect(max(ts(3), ts(7)) == ts(7))
        #expect(ts(10).adding(milliseconds: 5) == ts(15))
        #expect(ts(10).adding(milliseconds: -15) == ts(-5))
        #expect(ts(42).description == "42ms")
        // Adding never traps, even at the edge.
        #expect(ts(.max).adding(milliseconds: 1) == ts(.min))
    }

    @Test("a session is lapsed at and after its lease expiry")
    func lapsedBoundary() {
        let s = storedSession(1, user: "a", leaseExpiresAt: 1_000)
        #expect(!s.isLapsed(at: ts(999)))
        #expect(s.isLapsed(at: ts(1_000)))
        #expect(s.isLapsed(at: ts(1_001)))
    }

    @Test("holder is user plus hardware ID")
    func holder() {
        let r = request("alice", hw: "m1", host: "h1")
        #expect(r.holder == Holder(user: "alice", hardwareID: "m1"))
        #expect(request("alice", hw: "m1", host: "other").holder == r.holder)
        #expect(request("alice", hw: "m2").holder != r.holder)
        #expect(request("bob", hw: "m1").holder != r.holder)
        #expect(storedSession(1, user: "alice", hw: "m1").holder == r.holder)
        #expect(r.clientAddress == "10.0.0.1")
        #expect(SeatRequest(licenseKey: "K", user: "u", hostname: "h", hardwareID: "w", clientVersion: "v").clientAddress == "")
    }

    @Test("session end raw values are stable (persisted)")
    func sessionEndRawValues() {
        #expect(SessionEnd.released.rawValue == 1)
        #expect(SessionEnd.expired.rawValue == 2)
        #expect(SessionEnd.revoked.rawValue == 3)
        #expect(SessionEnd.allCases.count == 3)
        let ended = EndedSession(token: token(1), licenseKey: "K", end: .revoked, endedAt: ts(9))
        #expect(ended.token == token(1) && ended.licenseKey == "K" && ended.end == .revoked && ended.endedAt == ts(9))
    }
}
