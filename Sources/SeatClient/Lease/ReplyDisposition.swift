import SeatCore
import SeatProtocol

/// What a lease does about a server refusal, by error code (protocol-spec.md, 8.1).
enum ReplyDisposition: Equatable {
    /// The server closed (or is closing) the connection: reconnect with backoff.
    case reconnect
    /// Too many failed authentications from this address; the server closed the
    /// connection. Reconnect with backoff, and not before `retryAfter` (when it said).
    case throttled(retryAfter: Duration?)
    /// The access key was refused (unknown, malformed, revoked) or the server needs one:
    /// retrying cannot help until the client is given a valid key.
    case notAuthenticated
    /// Nothing changed on the server; retry the same request on the same connection later.
    case retryLater
    /// No seat free; retry later, no later than `nextFreeAt`.
    case noSeats(seatsTotal: UInt32, seatsInUse: UInt32, nextFreeAt: Timestamp?)
    /// The session is gone; the seat is no longer held.
    case sessionGone(LeaseLossReason)
    /// The license cannot be used; retrying cannot help until an administrator acts.
    case licenseUnusable
    /// The server is a standby (protocol-spec.md 9b): try the named active node (empty:
    /// none named) or the next server at once.
    case standby(activeNode: String)
    /// A bug, or a code this client does not know: not retryable.
    case refused

    init(_ reply: ErrorReply) {
        switch reply.code {
        case .idleTimeout, .shuttingDown: self = .reconnect
        case .authenticationThrottled:
            if case .retryAfter(let milliseconds) = reply.detail {
                self = .throttled(retryAfter: .milliseconds(Int64(milliseconds)))
            } else {
                self = .throttled(retryAfter: nil)
            }
        case .authenticationFailed, .authenticationRequired: self = .notAuthenticated
        case .storageFull, .storageFailure, .internalError: self = .retryLater
        case .noSeats:
            if case .noSeats(let total, let inUse, let nextFreeAt) = reply.detail {
                // nextFreeAt 0 would mean "unknown"; the server always sends a time.
                self = .noSeats(seatsTotal: total, seatsInUse: inUse, nextFreeAt: nextFreeAt.millisecondsSinceEpoch > 0 ? nextFreeAt : nil)
            } else {
                self = .noSeats(seatsTotal: 0, seatsInUse: 0, nextFreeAt: nil)
            }
        case .policyDenied:
            // Over a maximum or reserved for others: a seat may come free for this user
            // as for anyone; excluded or not included: only the policy's owner can help.
            if case .policyDenied(let reason, _, let total, let inUse, _) = reply.detail, reason.isWorthWaiting {
                self = .noSeats(seatsTotal: total, seatsInUse: inUse, nextFreeAt: nil)
            } else {
                self = .licenseUnusable
            }
        case .sessionExpired: self = .sessionGone(.expired)
        case .sessionReleased: self = .sessionGone(.releasedElsewhere)
        case .unknownSession: self = .sessionGone(.forgotten)
        case .sessionRevoked: self = .sessionGone(.revoked)
        case .unknownLicense, .licenseExpired, .licenseSuspended, .licenseRevoked: self = .licenseUnusable
        case .notActive: self = .standby(activeNode: reply.activeNode ?? "")
        case .malformedMessage, .invalidUTF8, .invalidField, .unknownMessageType, .unsupportedVersion,
            .helloRequired, .frameTooLarge, .unexpectedMessage, .notAuthorized, .invalidAdminRequest, .notFound, .conflict, .licenseNotVerified, nil:
            self = .refused
        }
    }
}
