import Synchronization

/// Caps how many daemons run at once. Swift Testing runs suites in parallel; ~30 daemons
/// on two cores starve one another's timers and the tests' own deadlines. A slot is
/// taken before a daemon starts and given back when its process has exited.
final class DaemonSlots: Sendable {
    static let shared = DaemonSlots(limit: 4)

    private struct State {
        var free: Int
        var waiting: [Latch<Void>] = []
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(free: limit))
    }

    /// Waits for a free slot; throws after `timeout` (a test that leaked running daemons
    /// makes the others fail instead of hanging the suite).
    func take(timeout: Duration = .seconds(600)) async throws {
        let turn = state.withLock { state -> Latch<Void>? in
            if state.free > 0 {
                state.free -= 1
                return nil
            }
            let turn = Latch<Void>()
            state.waiting.append(turn)
            return turn
        }
        guard let turn else { return }
        if await turn.wait(timeout: timeout) != nil { return }
        let gaveUp = state.withLock { state -> Bool in
            guard let index = state.waiting.firstIndex(where: { $0 === turn }) else { return false }
            state.waiting.remove(at: index)
            return true
        }
        // Not found: `giveBack` handed this waiter the slot just as it timed out.
        if gaveUp { throw NoDaemonSlot(timeout: timeout) }
    }

    /// Gives a slot back, to the longest waiter if there is one.
    func giveBack() {
        let next = state.withLock { state -> Latch<Void>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
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
