/// Open-loop pacing of one connection: transaction k is due at `start + k * interval`.
/// A transaction that starts late is measured from when it was due (no coordinated omission).
public struct OpenLoopSchedule: Sendable, Equatable {
    public let startNanoseconds: UInt64
    public let intervalNanoseconds: UInt64
    public private(set) var next: UInt64 = 0

    public init(startNanoseconds: UInt64, intervalNanoseconds: UInt64) {
        self.startNanoseconds = startNanoseconds
        self.intervalNanoseconds = max(1, intervalNanoseconds)
    }

    public var nextDueNanoseconds: UInt64 { startNanoseconds &+ next &* intervalNanoseconds }

    /// Takes the next slot: returns when it was due.
    public mutating func take() -> UInt64 {
        let due = nextDueNanoseconds
        next += 1
        return due
    }
}
