import SeatCore

/// Hands out the storage key of each audit event; lives on the writer thread.
///
/// Sequences increase by one per stored event. Key times never go backwards by a small
/// step: an event stamped slightly before the previous one (two requests that read the
/// clock in one order and reached the writer in the other) is stored at the previous
/// event's time. So key order is commit order, and a follower that continues after its
/// cursor never misses an event committed after its last read. A larger step back (the
/// clock was set back while seatd was down) keeps the real time instead of stamping
/// every later event with a wrong one for as long as the step.
struct AuditKeyAllocator: Equatable {
    static let maximumReorderMilliseconds: Int64 = 1_000

    /// The last sequence handed out (0 before the first event ever).
    private(set) var lastSequence: UInt64
    /// The time of the last key handed out.
    private(set) var lastTime: Timestamp?

    init(lastSequence: UInt64, lastTime: Timestamp?) {
        self.lastSequence = lastSequence
        self.lastTime = lastTime
    }

    mutating func next(for time: Timestamp) -> AuditCursor {
        var keyTime = time
        if let lastTime, lastTime > time,
           lastTime.millisecondsSinceEpoch &- time.millisecondsSinceEpoch <= Self.maximumReorderMilliseconds {
            keyTime = lastTime
        }
        lastSequence += 1
        lastTime = keyTime
        return AuditCursor(time: keyTime, sequence: lastSequence)
    }
}
