import SeatCore
import SeatProtocol
import SeatStorage

/// Why a seat operation did not succeed, in domain terms; `ErrorReply+SeatFailure`
/// maps each case to its wire error code.
enum SeatFailure: Error, Equatable {
    case unknownLicense
    case license(LicenseRefusal)
    case noSeats(seatsTotal: Int, seatsInUse: Int, nextFreeAt: Timestamp)
    case policy(PolicyRefusal, seatsTotal: Int, seatsInUse: Int)
    case unknownSession
    case sessionEnded(SessionEnd)
    case storage(StorageError)

    init(_ refusal: AcquireRefusal) {
        switch refusal {
        case .license(let reason): self = .license(reason)
        case .noSeats(let total, let inUse, let next): self = .noSeats(seatsTotal: total, seatsInUse: inUse, nextFreeAt: next)
        case .policy(let refusal, let total, let inUse): self = .policy(refusal, seatsTotal: total, seatsInUse: inUse)
        }
    }

    init(_ refusal: HeartbeatRefusal) {
        switch refusal {
        case .unknownSession: self = .unknownSession
        case .ended(let end): self = .sessionEnded(end)
        case .license(let reason): self = .license(reason)
        }
    }
}

struct AcquireSuccess: Equatable {
    var session: Session
    var reattached: Bool
    var license: License
    var seatsInUse: Int
    /// The session was granted past the license's seats, from its overage allowance.
    var overage = false
    /// Lapsed sessions the grant ended (taken over): their connections forget them.
    var reclaimed: [SessionToken] = []
}

struct ReleaseSuccess: Equatable {
    /// False when the session had already ended (release is idempotent).
    var ended: Bool
    var seatsTotal: Int
    var seatsInUse: Int
}

struct LicenseSnapshot: Equatable {
    var license: License
    /// Up to `license.seatsAllowed`: the overage in use included.
    var seatsInUse: Int
    /// Acquires waiting in the license's queue.
    var waiting: Int = 0

    var seatsOverageInUse: Int { license.seatsOverage(inUse: seatsInUse) }
}

/// What an AcquireOrWait got: a seat, or a place in the queue.
enum AcquireOutcome: Equatable {
    case acquired(AcquireSuccess)
    case queued(QueuePlace)
}

/// Bounds of the queues, so no client can exhaust the server's memory by waiting.
struct QueueLimits: Equatable {
    /// Waiters of one license.
    var perLicense = 1_000
    /// Waits of one connection, over all licenses.
    var perConnection = 16
}
