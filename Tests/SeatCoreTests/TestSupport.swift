import SeatCore
import Testing

// Shared fixtures for the SeatCore tests: a fixed lease policy, timestamps as plain
// milliseconds, predictable tokens and small accessors for the decision enums.

/// One-second lease so boundaries are easy to hit exactly.
let testPolicy = LeasePolicy(leaseMilliseconds: 1_000, heartbeatIntervalMilliseconds: 300)

func ts(_ milliseconds: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: milliseconds) }

func token(_ n: UInt64) -> SessionToken { SessionToken(high: 0xA11CE, low: n) }

func request(_ user: String, hw: String = "hw-1", host: String = "host", version: String = "1.0", address: String = "10.0.0.1") -> SeatRequest {
    SeatRequest(licenseKey: "LIC-1", user: user, hostname: host, hardwareID: hw, clientVersion: version, clientAddress: address)
}

func license(seats: Int, expiresAt: Timestamp? = nil, state: LicenseState = .active) -> License {
    License(key: "LIC-1", seats: seats, tier: "pro", features: ["gpu": "on"], expiresAt: expiresAt, state: state)
}

func storedSession(_ n: UInt64, user: String, hw: String = "hw-1", createdAt: Int64 = 0, leaseExpiresAt: Int64 = 1_000) -> Session {
    Session(
        token: token(n), licenseKey: "LIC-1", user: user, hostname: "host", hardwareID: hw,
        clientVersion: "1.0", clientAddress: "10.0.0.1",
        createdAt: ts(createdAt), lastHeartbeatAt: ts(createdAt), leaseExpiresAt: ts(leaseExpiresAt)
    )
}

extension AcquireDecision {
    var granted: (session: Session, reclaimed: [Session])? {
        if case .granted(let session, let reclaimed) = self { return (session, reclaimed) }
        return nil
    }
    var attached: (session: Session, durable: Bool)? {
        if case .attached(let session, let durable) = self { return (session, durable) }
        return nil
    }
    var refusal: AcquireRefusal? {
        if case .refused(let refusal) = self { return refusal }
        return nil
    }
}

extension HeartbeatOutcome {
    var extended: Session? {
        if case .extended(let session, _) = self { return session }
        return nil
    }

    /// Whether the renewal is to be written to storage (nil: not extended).
    var stores: Bool? {
        if case .extended(_, let store) = self { return store }
        return nil
    }
}

/// A ledger with a manual clock and sequential tokens 1, 2, 3, …
struct Harness {
    var ledger: SeatLedger
    var now: Timestamp
    var policy: LeasePolicy
    var nextToken: UInt64 = 1
    /// How many times the ledger asked for a token.
    var tokensDrawn = 0

    init(seats: Int, now: Int64 = 0, policy: LeasePolicy = testPolicy, restoring: [Session] = []) {
        self.ledger = SeatLedger(license: license(seats: seats), restoring: restoring)
        self.now = ts(now)
        self.policy = policy
    }

    init(license: License, now: Int64 = 0, policy: LeasePolicy = testPolicy, restoring: [Session] = []) {
        self.ledger = SeatLedger(license: license, restoring: restoring)
        self.now = ts(now)
        self.policy = policy
    }

    mutating func advance(_ milliseconds: Int64) { now = now.adding(milliseconds: milliseconds) }
    mutating func set(_ milliseconds: Int64) { now = ts(milliseconds) }

    mutating func acquire(_ user: String, hw: String = "hw-1", key: String = "") -> AcquireDecision {
        var next = nextToken
        var drawn = 0
        var seatRequest = request(user, hw: hw)
        seatRequest.accessKeyID = key
        let decision = ledger.acquire(seatRequest, now: now, policy: policy) {
            defer { next += 1; drawn += 1 }
            return token(next)
        }
        nextToken = next
        tokensDrawn += drawn
        return decision
    }

    /// Acquires a new seat and confirms its grant; fails the test if not granted.
    mutating func grant(_ user: String, hw: String = "hw-1", sourceLocation: SourceLocation = #_sourceLocation) throws -> Session {
        let decision = acquire(user, hw: hw)
        let granted = try #require(decision.granted, "expected a grant, got \(decision)", sourceLocation: sourceLocation)
        ledger.confirmGrant(granted.session.token, reclaimed: granted.reclaimed.map(\.token))
        return granted.session
    }

    mutating func heartbeat(_ token: SessionToken) -> HeartbeatOutcome {
        ledger.heartbeat(token, now: now, policy: policy)
    }
}
