import Synchronization
import Testing

/// Caps how many daemons run at once. Swift Testing runs suites in parallel; ~30 daemons
/// on two cores starve one another's timers and the tests' own deadlines. A slot is
/// taken before a daemon starts and given back when its process has exited.
///
/// A daemon for a test file that has run one before (a restart after a kill, the next test
/// of a serialized suite) waits at the front of the queue: every test queues its first
/// daemon at once, so behind them a restart or the next test of a chain would wait for
/// nearly all of the suite, and those chains, not the work, would set how long it takes.
final class DaemonSlots: Sendable {
    static let shared = DaemonSlots(limit: 4)

    private struct State {
        var free: Int
        /// The first `atFront` are the waiters of files that have run a daemon before.
        var waiting: [Latch<Void>] = []
        var atFront = 0
        var filesSeen: Set<String> = []
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(free: limit))
    }

    enum Place {
        /// Behind the waiters queued before (files that have run a daemon excepted).
        case inTurn
        /// At the front: for a test that waits out real time (a lease) and would otherwise
        /// end the suite long after the rest.
        case first
    }

    /// Waits for a free slot; throws after `timeout` (a test that leaked running daemons
    /// makes the others fail instead of hanging the suite).
    func take(_ place: Place = .inTurn, timeout: Duration = .seconds(600)) async throws {
        let file = Test.current?.sourceLocation.fileID
        let turn = state.withLock { state -> Latch<Void>? in
            let seenBefore = file.map { !state.filesSeen.insert($0).inserted } ?? false
            let goesFirst = seenBefore || place == .first
            if state.free > 0 {
                state.free -= 1
                return nil
            }
            let turn = Latch<Void>()
            if goesFirst {
                state.waiting.insert(turn, at: state.atFront)
                state.atFront += 1
            } else {
                state.waiting.append(turn)
            }
            return turn
        }
        guard let turn else { return }
        if await turn.wait(timeout: timeout) != nil { return }
        let gaveUp = state.withLock { state -> Bool in
            guard let index = state.waiting.firstIndex(where: { $0 === turn }) else { return false }
            state.waiting.remove(at: index)
            if index < state.atFront { state.atFront -= 1 }
            return true
        }
        // Not found: `giveBack` handed this waiter the slot just as it timed out.
        if gaveUp { throw NoDaemonSlot(timeout: timeout) }
    }

    /// Gives a slot back, to the first waiter if there is one.
    func giveBack() {
        let next = state.withLock { state -> Latch<Void>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            state.atFront = max(0, state.atFront - 1)
            return state.waiting.removeFirst()
        }
        next?.set(())
    }
}

struct NoDaemonSlot: Error, CustomStringConvertible {
    var timeout: Duration
    var description: String { "no daemon slot came free within \(timeout): a test left daemons running" }
}

/// One daemon's place among the `DaemonSlots`, given back once no one holds it: a test that
/// kills a daemon and starts it again hands the place on, so the restart never queues
/// behind other tests' daemons while its clients' leases run.
final class DaemonSlot: Sendable {
    private let holders = Atomic<Int>(1)

    /// Another holder (the restart to come); the place stays taken until both let go.
    func hold() -> DaemonSlot {
        holders.add(1, ordering: .relaxed)
        return self
    }

    func letGo() {
        if holders.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { DaemonSlots.shared.giveBack() }
    }
}
