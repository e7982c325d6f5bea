import Synchronization

/// The throttle of failed authentications, shared by every connection.
final class AuthenticationGate: Sendable {
    private let throttle: Mutex<AuthenticationThrottle>
    private let clock: any ServerClock

    init(limit: Int, windowSeconds: Double, clock: any ServerClock) {
        self.clock = clock
        throttle = Mutex(AuthenticationThrottle(limit: limit, windowMilliseconds: Int64(windowSeconds * 1000)))
    }

    /// `nil` when `address` may try now; otherwise milliseconds until it may.
    func retryAfter(address: String) -> Int64? {
        let now = clock.now().millisecondsSinceEpoch
        return throttle.withLock { $0.retryAfter(address: address, now: now) }
    }

    func recordFailure(address: String) {
        let now = clock.now().millisecondsSinceEpoch
        throttle.withLock { $0.recordFailure(address: address, now: now) }
    }
}
