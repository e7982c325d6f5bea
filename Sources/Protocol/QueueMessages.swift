/// A waiting acquire's place (type `0x8F`, the reply to AcquireOrWait; and, inside
/// ``QueuePositionNotice``, each time the place changes).
public struct QueuePlace: Sendable, Equatable {
    /// 1-based: 1 is next in line.
    public var position: UInt32
    /// Everyone waiting for the license now, this request included.
    public var waiting: UInt32
    /// Seats of the license.
    public var seatsTotal: UInt32
    /// Seats taken now.
    public var seatsInUse: UInt32

    public init(position: UInt32, waiting: UInt32, seatsTotal: UInt32, seatsInUse: UInt32) {
        self.position = position
        self.waiting = waiting
        self.seatsTotal = seatsTotal
        self.seatsInUse = seatsInUse
    }
}

/// A waiting acquire moved up (type `0xAF`, request id 0). `waitID` is the request id of
/// the AcquireOrWait that was answered with Queued.
public struct QueuePositionNotice: Sendable, Equatable {
    public var waitID: UInt32
    public var place: QueuePlace

    public init(waitID: UInt32, place: QueuePlace) {
        self.waitID = waitID
        self.place = place
    }
}

/// A waiting acquire got its seat (type `0xAE`, request id 0): the session is stored, and
/// the grant is what an Acquired reply would have carried.
public struct QueueGrantNotice: Sendable, Equatable {
    public var waitID: UInt32
    public var grant: AcquireGrant

    public init(waitID: UInt32, grant: AcquireGrant) {
        self.waitID = waitID
        self.grant = grant
    }
}

/// Why the server gave up a waiting acquire (`WaitEndedNotice.reason`).
public enum WaitEndReason: UInt8, Sendable, CaseIterable {
    /// The same user and workstation queued again (on another connection, or with
    /// another request id): the place moved to that wait.
    case superseded = 1
    /// The place was not asked for again within the queue heartbeat.
    case lapsed = 2
    /// The seat cannot be granted any more (`code` says why: the license was revoked,
    /// deleted, suspended or expired, or the grant could not be stored).
    case refused = 3
}

/// The server gave up a waiting acquire (type `0xAD`, request id 0).
public struct WaitEndedNotice: Sendable, Equatable {
    public var waitID: UInt32
    public var reason: WaitEndReason
    /// With `refused`: the error code an Acquire would get now; otherwise 0.
    public var code: UInt16
    /// For the user (0...1024 bytes).
    public var message: String

    public init(waitID: UInt32, reason: WaitEndReason, code: UInt16 = 0, message: String) {
        self.waitID = waitID
        self.reason = reason
        self.code = code
        self.message = message
    }
}
