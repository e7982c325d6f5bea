import SeatCore

/// One authentication attempt through the shared throttle, counted in the metrics and the
/// audit log: the seat protocol's Authenticate and the dashboard's sign-in alike.
struct AuthenticationCheck: Sendable {
    enum Outcome<Accepted> {
        /// Refused unchecked: too many failures; milliseconds until it may be tried again.
        case throttled(milliseconds: Int64)
        case failed(AuthenticationFailure)
        case accepted(Accepted)
    }

    let access: AccessRegistry
    let gate: AuthenticationGate
    let audit: AuditLog
    let seatEvents: SeatEventLog
    let metrics: SeatMetrics
    let clock: any ServerClock

    /// Checks `accessKey` from `address` with `verify` (the registry's `authenticate` or `verify`),
    /// unless the throttle refuses it first.
    func attempt<Accepted>(_ accessKey: String, from address: String, verify: (String) -> Result<Accepted, AuthenticationFailure>) -> Outcome<Accepted> {
        let attempt = access.throttleAttempt(accessKey, from: address)
        if let wait = gate.retryAfter(attempt) {
            // Counted, not written one by one: a throttled client can send these at will.
            metrics.recordThrottledAuthentication()
            audit.count(.authenticationFailure(address: address, reason: "throttled"), at: clock.now())
            seatEvents.authenticationFailed(address: address, reason: "throttled", at: clock.now())
            return .throttled(milliseconds: wait)
        }
        switch verify(accessKey) {
        case .success(let accepted):
            metrics.recordAuthentication(succeeded: true)
            return .accepted(accepted)
        case .failure(let failure):
            gate.recordFailure(attempt)
            metrics.recordAuthentication(succeeded: false)
            audit.count(.authenticationFailure(address: address, reason: failure.reason), at: clock.now())
            seatEvents.authenticationFailed(address: address, reason: failure.reason, at: clock.now())
            return .failed(failure)
        }
    }
}
