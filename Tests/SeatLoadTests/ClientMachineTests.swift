import SeatCore
import SeatLoadKit
import XCTest

final class ClientMachineTests: XCTestCase {
    private let token = SessionToken(high: 1, low: 2)

    func testChurnReleasesAfterGrantAndEndsOnRefusal() {
        var rng = LoadRandom(seed: 7)
        var machine = ClientMachine(scenario: .churn)
        var repeats = 0
        for _ in 0..<2000 {
            let first = machine.startTransaction(&rng)
            guard case .acquire(let key, .acquire) = first else { return XCTFail("churn starts with acquire") }
            XCTAssertTrue(key.license.hasPrefix("lic-") && key.user.hasPrefix("u") && key.hardware.hasPrefix("h"))
            var next = machine.handle(.granted(token, reattached: false), to: first, &rng)
            if case .acquire(let again, .reacquire)? = next {
                XCTAssertEqual(again, key)
                repeats += 1
                next = machine.handle(.granted(token, reattached: true), to: next!, &rng)
            }
            XCTAssertEqual(next, .release(token))
            XCTAssertNil(machine.handle(.ok, to: next!, &rng))
        }
        // 10% idempotent repeats.
        XCTAssertEqual(Double(repeats) / 2000, 0.1, accuracy: 0.03)
        let refused = machine.startTransaction(&rng)
        XCTAssertNil(machine.handle(.refused(code: 104), to: refused, &rng))
    }

    func testSteadyLifecycleMix() {
        var rng = LoadRandom(seed: 11)
        var machine = ClientMachine(scenario: .steady)
        var counts: [LoadOperation: Int] = [:]
        var n = UInt64(0)
        for _ in 0..<20_000 {
            let request = machine.startTransaction(&rng)
            counts[request.operation, default: 0] += 1
            let reply: LoadReply
            switch request {
            case .acquire:
                n += 1
                // Refuse 10% of first acquires, like the full licenses of the data set.
                reply = rng.int(1, 10) == 1 && request.operation == .acquire ? .refused(code: 104) : .granted(SessionToken(high: n, low: n), reattached: request.operation == .reacquire)
            case .heartbeat, .release:
                reply = .ok
            }
            XCTAssertNil(machine.handle(reply, to: request, &rng), "steady: one op per transaction")
        }
        let total = Double(counts.values.reduce(0, +))
        // README: about 6% acquire / 89% heartbeat / 5% release.
        XCTAssertEqual(Double(counts[.heartbeat, default: 0]) / total, 0.89, accuracy: 0.02)
        XCTAssertEqual(Double(counts[.release, default: 0]) / total, 0.05, accuracy: 0.01)
        XCTAssertEqual(Double(counts[.acquire, default: 0] + counts[.reacquire, default: 0]) / total, 0.06, accuracy: 0.015)
    }

    func testSteadyHeartbeatsTheGrantedSessionThenReleasesIt() {
        var rng = LoadRandom(seed: 3)
        var machine = ClientMachine(scenario: .steady)
        let acquire = machine.startTransaction(&rng)
        _ = machine.handle(.granted(token, reattached: false), to: acquire, &rng)
        XCTAssertTrue((1...18).contains(machine.phase), "first grant jumps to a random phase")
        var sawRelease = false
        for _ in 0..<25 where !sawRelease {
            let request = machine.startTransaction(&rng)
            switch request {
            case .heartbeat(let t): XCTAssertEqual(t, token)
            case .release(let t): XCTAssertEqual(t, token); sawRelease = true
            case .acquire(_, let op): XCTAssertEqual(op, .acquire, "a re-acquire only comes right after a fresh grant")
            }
            _ = machine.handle(.ok, to: request, &rng)
        }
        XCTAssertTrue(sawRelease)
        XCTAssertEqual(machine.phase, 0)
        guard case .acquire(_, .acquire) = machine.startTransaction(&rng) else { return XCTFail("after release: a new acquire") }
    }

    func testHoldAcquiresOnceThenHeartbeats() {
        var rng = LoadRandom(seed: 5)
        let key = HoldDataSet(licenses: 2, seats: 10).key(3)
        var machine = ClientMachine(scenario: .hold, holdKey: key)
        let first = machine.startTransaction(&rng)
        XCTAssertEqual(first, .acquire(key, .acquire))
        XCTAssertNil(machine.handle(.granted(token, reattached: false), to: first, &rng))
        XCTAssertEqual(machine.startTransaction(&rng), .heartbeat(token))
        XCTAssertNil(machine.handle(.refused(code: 111), to: .heartbeat(token), &rng))
        XCTAssertEqual(machine.startTransaction(&rng), .acquire(key, .acquire), "a lost session is acquired again")
    }
}
