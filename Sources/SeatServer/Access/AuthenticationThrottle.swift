/// Counts failed authentications and refuses further attempts past a limit until that
/// limit's window has passed. Pure: time is passed in.
///
/// Failures are counted where they can only hurt the attacker:
/// - per (address, key id) for attempts naming an existing key (wrong secret, revoked):
///   they throttle only that key from that address, so a workstation whose neighbour
///   mistypes another key, or an attacker trying secrets for someone's key id, never
///   locks out a valid key from its own address;
/// - per address for attempts naming no existing key (malformed, unknown id);
/// - all failures together in one global window: past `globalLimit`, attempts naming no
///   existing key are refused from every address, so many source addresses cannot
///   brute-force freely, while attempts naming an existing key are still checked.
///
/// Memory is bounded: at most `capacity` (address, key) pairs are tracked; when full,
/// entries whose window has passed are dropped first, then the oldest.
struct AuthenticationThrottle: Sendable {
    /// What an attempt is counted against.
    enum Attempt: Hashable, Sendable {
        case unknownKey(address: String)
        case existingKey(address: String, keyID: String)
    }

    private struct Window {
        var start: Int64
        var failures: Int
    }

    let limit: Int
    let globalLimit: Int
    let windowMilliseconds: Int64
    let capacity: Int
    private var windows: [Attempt: Window] = [:]
    private var global: Window?

    init(limit: Int, globalLimit: Int, windowMilliseconds: Int64, capacity: Int = 10_000) {
        self.limit = limit
        self.globalLimit = globalLimit
        self.windowMilliseconds = windowMilliseconds
        self.capacity = capacity
    }

    var trackedAttempts: Int { windows.count }

    /// `nil` when `attempt` may be checked now; otherwise how long until it may.
    func retryAfter(_ attempt: Attempt, now: Int64) -> Int64? {
        let own = remaining(windows[attempt], limit: limit, now: now)
        guard case .unknownKey = attempt, let globalWait = remaining(global, limit: globalLimit, now: now) else { return own }
        return max(own ?? 0, globalWait)
    }

    /// Counts a failed attempt.
    mutating func recordFailure(_ attempt: Attempt, now: Int64) {
        global = counted(global, now: now)
        if windows[attempt] == nil, windows.count >= capacity { makeRoom(now: now) }
        windows[attempt] = counted(windows[attempt], now: now)
    }

    private func remaining(_ window: Window?, limit: Int, now: Int64) -> Int64? {
        guard let window, window.failures >= limit else { return nil }
        let end = window.start + windowMilliseconds
        return end > now ? end - now : nil
    }

    /// A failure at `now` added to `window`, or the first of a new one if it has passed.
    private func counted(_ window: Window?, now: Int64) -> Window {
        guard var window, now - window.start < windowMilliseconds else { return Window(start: now, failures: 1) }
        window.failures += 1
        return window
    }

    private mutating func makeRoom(now: Int64) {
        windows = windows.filter { now - $0.value.start < windowMilliseconds }
        if windows.count >= capacity, let oldest = windows.min(by: { $0.value.start < $1.value.start }) {
            windows[oldest.key] = nil
        }
    }
}
