import Synchronization

/// The throttle of failed authentications, shared by every connection.
final class AuthenticationGate: Sendable {
    private let throttle: Mutex<AuthenticationThrottle>
    private let clock: any ServerClock

    init(limit: Int, globalLimit: Int, windowSeconds: Double, clock: any ServerClock) {
        self.clock = clock
        throttle = Mutex(AuthenticationThrottle(limit: limit, globalLimit: globalLimit, windowMilliseconds: Int64(windowSeconds * 1000)))
    }

    /// `nil` when `attempt` may be checked now; otherwise milliseconds until it may.
    func retryAfter(_ attempt: AuthenticationThrottle.Attempt) -> Int64? {
        let now = clock.now().millisecondsSinceEpoch
        return throttle.withLock { $0.retryAfter(attempt, now: now) }
    }

    func recordFailure(_ attempt: AuthenticationThrottle.Attempt) {
        let now = clock.now().millisecondsSinceEpoch
        throttle.withLock { $0.recordFailure(attempt, now: now) }
    }
}
