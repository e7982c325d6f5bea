@testable import SeatClient
import SeatCore
import SeatProtocol

/// A "random" generator that always returns the same word: 0 gives unit value 0 (no
/// jitter), `.max` gives a unit value just below 1 (the most jitter).
struct FixedRandom: RandomNumberGenerator {
    var word: UInt64
    mutating func next() -> UInt64 { word }
}

typealias Machine = LeaseStateMachine<FixedRandom>

/// A moment `seconds` after the origin; the wall clock starts at a fixed date.
func at(_ seconds: Double) -> LeaseMoment {
    LeaseMoment(monotonic: .milliseconds(Int64(seconds * 1000)), wall: wall(seconds))
}

func wall(_ seconds: Double) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: 1_767_225_600_000 + Int64(seconds * 1000))
}

let tokenA = SessionToken(high: 0xA, low: 1)
let tokenB = SessionToken(high: 0xB, low: 2)

func grant(_ token: SessionToken = tokenA, intervalSeconds: Double = 2, expiresAt: Double = 6, reattached: Bool = false) -> AcquireGrant {
    AcquireGrant(
        token: token, leaseExpiresAt: wall(expiresAt), heartbeatIntervalMilliseconds: UInt32(intervalSeconds * 1000),
        seatsTotal: 5, seatsInUse: 1, reattached: reattached, tier: "pro", licenseExpiresAt: nil, features: [:]
    )
}

func accepted(expiresAt: Double, intervalSeconds: Double = 2) -> HeartbeatAccepted {
    HeartbeatAccepted(leaseExpiresAt: wall(expiresAt), heartbeatIntervalMilliseconds: UInt32(intervalSeconds * 1000))
}

func refusal(_ code: ErrorCode, _ detail: ErrorDetail = .none) -> LeaseFailure {
    .server(ErrorReply(code: code, message: "\(code)", detail: detail))
}

/// The lease length the test servers grant (matching `grant()`'s expiry 6 s after 0 s).
let testLease = Duration.seconds(6)
/// The request timeout of the test machines.
let testRequestTimeout = Duration.seconds(1)

/// Backoff without jitter: 1 s, 2 s, 4 s, then 4 s.
let plainBackoff = ReconnectBackoff(initial: .seconds(1), maximum: .seconds(4), multiplier: 2, jitter: 0)

/// `count` configured servers: seat0.example:7420, seat1.example:7420, ...
func testServers(_ count: Int) -> [ServerEndpoint] {
    (0..<count).map { ServerEndpoint(host: "seat\($0).example") }
}

func makeMachine(servers: Int = 1, policy: SessionLossPolicy = .reacquire, waitForSeat: Duration = .zero, backoff: ReconnectBackoff = plainBackoff, requestTimeout: Duration = testRequestTimeout) -> Machine {
    Machine(
        servers: testServers(servers), options: LeaseOptions(backoff: backoff, onSessionLoss: policy, waitForSeat: waitForSeat),
        requestTimeout: requestTimeout, random: FixedRandom(word: 0), startedAt: .zero
    )
}

/// A machine that holds `tokenA` (granted at time 0, heartbeat every 2 s, `lease` long).
func holdingMachine(servers: Int = 1, policy: SessionLossPolicy = .reacquire, lease: Duration = testLease) -> Machine {
    var machine = makeMachine(servers: servers, policy: policy)
    _ = machine.nextAction(now: at(0))
    _ = machine.handle(.connected(server: 0, lease: lease), now: at(0))
    _ = machine.nextAction(now: at(0))
    _ = machine.handle(.acquired(grant(expiresAt: lease.inSeconds)), now: at(0))
    return machine
}
