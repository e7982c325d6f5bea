import Synchronization

/// Counts the client connections that have not authenticated yet (`ConnectionStateMachine.
/// isPreAuthentication`), per source address and in total, so that connections which never
/// prove anything cannot take every slot of `max_connections` from the clients that do.
/// Authenticated connections and the admin socket are not counted.
final class UnauthenticatedConnections: Sendable {
    struct Limits: Sendable, Equatable {
        var perAddress: Int
        var total: Int

        /// `max_unauthenticated_per_address`, and `unauthenticated_connections_percent` of
        /// the effective `max_connections` (at least one connection).
        init(perAddress: Int, percentOfConnections percent: Int, connectionLimit: Int) {
            self.perAddress = perAddress
            self.total = max(1, connectionLimit * percent / 100)
        }
    }

    enum Refusal: Error, Equatable {
        case perAddress
        case total
    }

    private struct State {
        var limits: Limits
        var byAddress: [String: Int] = [:]
        var total = 0
    }
    private let state: Mutex<State>

    init(limits: Limits) {
        state = Mutex(State(limits: limits))
    }

    /// Changed by a SIGHUP reload; lowering a limit closes nothing, it refuses new
    /// connections until enough have authenticated or gone.
    var limits: Limits {
        get { state.withLock { $0.limits } }
        set { state.withLock { $0.limits = newValue } }
    }

    /// A slot for a new connection from `address`, or why there is none.
    func admit(_ address: String) -> Result<UnauthenticatedSlot, Refusal> {
        let refusal: Refusal? = state.withLock { state in
            let fromAddress = state.byAddress[address, default: 0]
            if fromAddress >= state.limits.perAddress { return .perAddress }
            if state.total >= state.limits.total { return .total }
            state.byAddress[address] = fromAddress + 1
            state.total += 1
            return nil
        }
        if let refusal { return .failure(refusal) }
        return .success(UnauthenticatedSlot(owner: self, address: address))
    }

    fileprivate func giveBack(_ address: String) {
        state.withLock { state in
            state.total -= 1
            let left = state.byAddress[address, default: 1] - 1
            // Removed at zero, so addresses seen once do not accumulate.
            state.byAddress[address] = left > 0 ? left : nil
        }
    }

    var count: Int { state.withLock { $0.total } }

    func count(from address: String) -> Int { state.withLock { $0.byAddress[address, default: 0] } }
}

/// One connection's place under the unauthenticated caps; released once (authenticated or closed).
final class UnauthenticatedSlot: Sendable {
    private let owner: UnauthenticatedConnections
    private let address: String
    private let released = Atomic(false)

    fileprivate init(owner: UnauthenticatedConnections, address: String) {
        self.owner = owner
        self.address = address
    }

    func release() {
        guard !released.exchange(true, ordering: .relaxed) else { return }
        owner.giveBack(address)
    }
}
