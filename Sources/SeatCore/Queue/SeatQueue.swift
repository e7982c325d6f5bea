/// Identifies one wait: the connection it came on and the request id of its Acquire
/// (protocol-spec.md 6.9), which the server's pushes about the wait repeat.
public struct WaiterID: Hashable, Sendable, CustomStringConvertible {
    public var connection: UInt64
    public var request: UInt32

    public init(connection: UInt64, request: UInt32) {
        self.connection = connection
        self.request = request
    }

    public var description: String { "\(connection)/\(request)" }
}

/// Someone waiting for a seat of one license.
public struct Waiter: Sendable, Equatable {
    public var id: WaiterID
    public var request: SeatRequest
    /// From the policy's `priority` rules when it was queued; higher is served first.
    public var priority: Int
    /// When it was queued (its place keeps this when the same holder queues again).
    public var since: Timestamp
    /// When its place was last asked for; a place not asked for again within the queue
    /// heartbeat is given up (`SeatQueue.removeLapsed`).
    public var refreshedAt: Timestamp
    /// Arrival order, for FIFO within a priority class.
    var sequence: UInt64
}

/// The waiters of one license in the order seats go to them: higher priority first, FIFO
/// within a priority. A holder (user, workstation, access key) has at most one place.
/// Pure: time comes in as an argument.
public struct SeatQueue: Sendable, Equatable {
    public private(set) var waiters: [Waiter] = []
    private var nextSequence: UInt64 = 0

    public init() {}

    public var count: Int { waiters.count }
    public var isEmpty: Bool { waiters.isEmpty }

    /// 1-based place of the wait, `nil` when it does not wait.
    public func position(of id: WaiterID) -> Int? {
        waiters.firstIndex { $0.id == id }.map { $0 + 1 }
    }

    /// Every waiter's 1-based place.
    public var positions: [WaiterID: Int] {
        Dictionary(uniqueKeysWithValues: waiters.enumerated().map { ($1.id, $0 + 1) })
    }

    func index(of holder: Holder) -> Int? {
        waiters.firstIndex { $0.request.holder == holder }
    }

    /// Queues `request` behind every waiter of its priority or higher; returns its place.
    mutating func enqueue(_ request: SeatRequest, id: WaiterID, priority: Int, now: Timestamp) -> Int {
        let waiter = Waiter(id: id, request: request, priority: priority, since: now, refreshedAt: now, sequence: nextSequence)
        nextSequence += 1
        let index = waiters.firstIndex { $0.priority < priority } ?? waiters.endIndex
        waiters.insert(waiter, at: index)
        return index + 1
    }

    /// The holder at `index` asked for its place again, perhaps from another connection:
    /// it keeps its place, and later pushes go to the new wait. Returns the wait replaced.
    mutating func refresh(at index: Int, id: WaiterID, request: SeatRequest, now: Timestamp) -> WaiterID {
        let replaced = waiters[index].id
        waiters[index].id = id
        waiters[index].request = request
        waiters[index].refreshedAt = now
        return replaced
    }

    mutating func remove(at index: Int) -> Waiter {
        waiters.remove(at: index)
    }

    public mutating func remove(_ id: WaiterID) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index)
    }

    /// Removes every wait of a connection (it closed).
    public mutating func removeAll(onConnection connection: UInt64) -> [Waiter] {
        removeAll { $0.id.connection == connection }
    }

    /// Removes the waits whose place was not asked for since `cutoff`.
    public mutating func removeLapsed(before cutoff: Timestamp) -> [Waiter] {
        removeAll { $0.refreshedAt < cutoff }
    }

    /// Removes every wait (the license can no longer be used).
    public mutating func removeAll() -> [Waiter] {
        defer { waiters = [] }
        return waiters
    }

    private mutating func removeAll(where shouldRemove: (Waiter) -> Bool) -> [Waiter] {
        let removed = waiters.filter(shouldRemove)
        if !removed.isEmpty { waiters.removeAll(where: shouldRemove) }
        return removed
    }
}
