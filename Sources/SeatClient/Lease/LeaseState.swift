import SeatCore
import SeatProtocol

/// Where a lease stands. A lease publishes each change through ``SeatLease/states``.
///
/// ``held(_:)`` and ``regained(_:_:)`` mean the seat is held. ``reconnecting(_:)`` and
/// ``waitingForSeat(_:)`` mean the lease is working on getting it back. The final states
/// are ``released``, ``cancelled``, and ``lost(_:)`` or ``revoked(_:)`` whose
/// ``LeaseLoss/willReacquire`` is `false`; after one of them the stream of states ends.
public enum LeaseState: Sendable, Equatable {
    /// The seat was granted by the first acquire.
    case held(AcquireGrant)
    /// The seat could not be confirmed (the connection was lost, a request timed out, or the
    /// server asked to retry later). The lease retries with backoff and then re-attaches to
    /// the same session. The seat is still held on the server until its lease runs out.
    case reconnecting(LeaseInterruption)
    /// The seat is held again after an interruption or a loss; the grant carries the latest
    /// lease expiry, and the recovery says whether it is the same session.
    case regained(AcquireGrant, LeaseRecovery)
    /// The session ended on the server (expired, released elsewhere, forgotten, or refused)
    /// and no seat is held. When ``LeaseLoss/willReacquire`` is `true`, a new seat is being
    /// acquired; otherwise this state is final.
    case lost(LeaseLoss)
    /// While re-acquiring after a loss, every seat is taken; the lease retries with backoff
    /// and no later than the time a seat may free up.
    case waitingForSeat(SeatShortage)
    /// An administrator ended the session, or the license was deleted, revoked, suspended or
    /// expired. Final unless ``LeaseLoss/willReacquire`` is `true`
    /// (``SessionLossPolicy/reacquireEvenIfRevoked``).
    case revoked(LeaseLoss)
    /// The application released the seat. Final.
    case released
    /// The application cancelled or dropped the lease without releasing it; the server
    /// keeps the seat until its lease runs out. Final.
    case cancelled

    /// Whether the seat is held (as far as the last answer from the server shows).
    public var isHeld: Bool {
        switch self {
        case .held, .regained, .reconnecting: true
        case .lost, .waitingForSeat, .revoked, .released, .cancelled: false
        }
    }

    /// Whether no further state follows.
    public var isFinal: Bool {
        switch self {
        case .released, .cancelled: true
        case .lost(let loss), .revoked(let loss): !loss.willReacquire
        case .held, .reconnecting, .regained, .waitingForSeat: false
        }
    }
}

/// Why a lease is reconnecting, and when it tries next.
public struct LeaseInterruption: Sendable, Equatable {
    /// Consecutive failed attempts so far (1 for the first failure).
    public var attempt: Int
    /// What failed last.
    public var cause: LeaseFailure
    /// The delay before the next attempt (backoff with jitter).
    public var retryIn: Duration
    /// The session being re-attached, or `nil` while re-acquiring after a loss.
    public var session: SessionToken?
    /// The lease expiry the server last confirmed for that session (server wall clock).
    public var lastConfirmedExpiry: Timestamp?

    /// Creates an interruption.
    public init(attempt: Int, cause: LeaseFailure, retryIn: Duration, session: SessionToken?, lastConfirmedExpiry: Timestamp?) {
        self.attempt = attempt
        self.cause = cause
        self.retryIn = retryIn
        self.session = session
        self.lastConfirmedExpiry = lastConfirmedExpiry
    }
}

/// A failure a lease retries after.
public enum LeaseFailure: Sendable, Equatable, CustomStringConvertible {
    /// No connection could be made (TCP, TLS or Hello failed); the text names the server.
    case unreachable(String)
    /// The connection closed under a request.
    case connectionLost(String)
    /// A request got no reply within the request timeout.
    case timedOut
    /// The server refused the request; for a lease to retry, the code is retryable
    /// (e.g. `shuttingDown`, `storageFailure`).
    case server(ErrorReply)

    /// A sentence for logs and users.
    public var description: String {
        switch self {
        case .unreachable(let what): "server unreachable: \(what)"
        case .connectionLost(let what): "connection lost: \(what)"
        case .timedOut: "the server did not answer in time"
        case .server(let reply): "server refused: \(reply.message) (code \(reply.rawCode))"
        }
    }
}

/// How a seat came back.
public enum LeaseRecovery: Sendable, Equatable {
    /// The same session as before (re-attached by heartbeat, or returned by an idempotent
    /// acquire): no second seat was taken.
    case sameSession
    /// A new session replacing the one that was lost.
    case newSession(replacing: SessionToken?)
}

/// Why a session ended, as the server told it.
public enum LeaseLossReason: Sendable, Equatable {
    /// The lease ran out before a heartbeat reached the server (`sessionExpired`).
    case expired
    /// Someone released the session, e.g. with its token elsewhere (`sessionReleased`).
    case releasedElsewhere
    /// The server no longer knows the session (`unknownSession`).
    case forgotten
    /// An administrator ended the session, or its license was revoked or deleted
    /// (`sessionRevoked`, or the SessionRevoked notice the server pushes at once).
    case revoked
    /// The license can no longer be used: unknown, expired, suspended or revoked.
    case licenseUnusable
    /// The server refused the access key (`authenticationFailed`: unknown, malformed or
    /// revoked) or needs one (`authenticationRequired`). Final: the application needs a
    /// valid key from an administrator.
    case notAuthenticated
    /// The server refused with a code a lease cannot act on (e.g. a code newer than this
    /// client); treated as final.
    case refused
}

/// A session that ended.
public struct LeaseLoss: Sendable, Equatable {
    /// The session that ended, if there was one.
    public var session: SessionToken?
    /// What ended it.
    public var reason: LeaseLossReason
    /// The server's reply, with its human-readable message.
    public var reply: ErrorReply
    /// Whether the lease is acquiring a new seat (per ``SessionLossPolicy``).
    public var willReacquire: Bool

    /// Creates a loss.
    public init(session: SessionToken?, reason: LeaseLossReason, reply: ErrorReply, willReacquire: Bool) {
        self.session = session
        self.reason = reason
        self.reply = reply
        self.willReacquire = willReacquire
    }
}

/// Every seat is taken, as the server reported on an acquire.
public struct SeatShortage: Sendable, Equatable {
    /// Seats of the license.
    public var seatsTotal: UInt32
    /// Seats taken.
    public var seatsInUse: UInt32
    /// The earliest time a seat may free up (a holder's lease expiry), if reported.
    public var nextFreeAt: Timestamp?
    /// The delay before the next acquire.
    public var retryIn: Duration

    /// Creates a shortage.
    public init(seatsTotal: UInt32, seatsInUse: UInt32, nextFreeAt: Timestamp?, retryIn: Duration) {
        self.seatsTotal = seatsTotal
        self.seatsInUse = seatsInUse
        self.nextFreeAt = nextFreeAt
        self.retryIn = retryIn
    }
}
