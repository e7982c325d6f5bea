import SeatCore

/// One client's request sequence, as in `shared/peers/redis/seatbench_redis.c`.
/// A *transaction* starts with `startTransaction` and ends when `handle` returns nil.
public enum Scenario: String, CaseIterable, Sendable {
    /// acquire(random license, user, hw); if granted, 10% an idempotent re-acquire; release.
    case churn
    /// 20-op seat lifecycle: acquire (new random license while refused), 18 heartbeats (the
    /// first a re-acquire 10% of the time), release; clients start at a random phase.
    case steady
    /// acquire one seat of the hold licenses once, then one heartbeat per transaction.
    case hold
}

public struct ClientMachine: Sendable {
    public let scenario: Scenario
    private let bench: BenchDataSet
    private let holdKey: AcquireKey?
    /// steady: position in the 20-op lifecycle; -1 before the first grant (random start).
    public private(set) var phase = -1
    public private(set) var key: AcquireKey?
    public private(set) var token: SessionToken?

    public init(scenario: Scenario, bench: BenchDataSet = BenchDataSet(), holdKey: AcquireKey? = nil) {
        precondition(scenario != .hold || holdKey != nil, "hold needs a key")
        self.scenario = scenario
        self.bench = bench
        self.holdKey = holdKey
    }

    private mutating func newKey(_ rng: inout LoadRandom) -> AcquireKey {
        let license = rng.int(1, bench.licenses)
        let user = rng.int(1, bench.users)
        let hardware = rng.int(1, bench.hardware)
        let key = AcquireKey(license: BenchDataSet.licenseKey(license), user: "u\(user)", hardware: "h\(hardware)")
        self.key = key
        return key
    }

    public mutating func startTransaction(_ rng: inout LoadRandom) -> LoadRequest {
        switch scenario {
        case .churn:
            return .acquire(newKey(&rng), .acquire)
        case .steady:
            if phase <= 0 { return .acquire(newKey(&rng), .acquire) }
            if phase == 19, let token { return .release(token) }
            let r = rng.int(1, 10)
            if phase == 1 && r == 1, let key { return .acquire(key, .reacquire) }
            if let token { return .heartbeat(token) }
            phase = 0
            return .acquire(newKey(&rng), .acquire)
        case .hold:
            if let token { return .heartbeat(token) }
            return .acquire(holdKey!, .acquire)
        }
    }

    /// Takes the reply to `request`; returns the next request of the same transaction, or nil.
    public mutating func handle(_ reply: LoadReply, to request: LoadRequest, _ rng: inout LoadRandom) -> LoadRequest? {
        switch scenario {
        case .churn: return handleChurn(reply, to: request, &rng)
        case .steady: handleSteady(reply, to: request, &rng); return nil
        case .hold: handleHold(reply, to: request); return nil
        }
    }

    private mutating func handleChurn(_ reply: LoadReply, to request: LoadRequest, _ rng: inout LoadRandom) -> LoadRequest? {
        switch request {
        case .acquire(let key, .acquire):
            guard case .granted(let token, _) = reply else { return nil }
            self.token = token
            if rng.int(1, 10) == 1 { return .acquire(key, .reacquire) }
            return .release(token)
        case .acquire:
            // After the repeat, release the session of the first grant (as the C driver does).
            guard let token else { return nil }
            return .release(token)
        case .heartbeat, .release:
            token = nil
            return nil
        }
    }

    private mutating func handleSteady(_ reply: LoadReply, to request: LoadRequest, _ rng: inout LoadRandom) {
        switch request {
        case .acquire(_, .acquire):
            if case .granted(let token, _) = reply {
                self.token = token
                phase = phase < 0 ? rng.int(1, 18) : 1
            }
        case .acquire, .heartbeat:
            phase += 1
        case .release:
            phase = 0
            token = nil
        }
    }

    private mutating func handleHold(_ reply: LoadReply, to request: LoadRequest) {
        switch (request, reply) {
        case (.acquire, .granted(let token, _)):
            self.token = token
        case (.heartbeat, .refused):
            // The session is gone (expired, revoked): take a seat again next time.
            token = nil
        default:
            break
        }
    }
}
