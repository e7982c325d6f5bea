/// What a lease does when its session is really gone (expired, released elsewhere,
/// forgotten or revoked by an administrator).
public enum SessionLossPolicy: Sendable, Equatable {
    /// Acquire a new seat after the session expired, was released elsewhere or was
    /// forgotten; stop after an administrator revoked it (the protocol says to acquire
    /// again only if the user is meant to).
    case reacquire
    /// Acquire a new seat whatever ended the session, revocation included.
    case reacquireEvenIfRevoked
    /// Never acquire again: report the loss and end the lease.
    case stop
}

/// How a lease keeps its seat: backoff, loss policy and how long to wait for a seat.
public struct LeaseOptions: Sendable, Equatable {
    /// Delays between reconnect attempts and between retries after a retryable refusal
    /// (`noSeats`, storage errors).
    public var backoff: ReconnectBackoff
    /// What to do when the session is really gone.
    public var onSessionLoss: SessionLossPolicy
    /// How long the first acquire may wait for a seat (and for an unreachable server),
    /// retrying with backoff and no later than the `nextFreeAt` the server reports.
    /// Zero (the default) tries each server once and fails at once with `noSeats`.
    public var waitForSeat: Duration

    /// Creates options.
    public init(backoff: ReconnectBackoff = ReconnectBackoff(), onSessionLoss: SessionLossPolicy = .reacquire, waitForSeat: Duration = .zero) {
        self.backoff = backoff
        self.onSessionLoss = onSessionLoss
        self.waitForSeat = max(waitForSeat, .zero)
    }
}
