import Foundation
import SeatCore

/// Jittered exponential backoff between reconnect (and retry) attempts.
///
/// The delay before attempt *n* (counting from 1) is
/// `min(maximum, initial × multiplier^(n−1))`, shortened by a random fraction of up to
/// `jitter`, so that many workstations that lost the same server do not all come back in
/// the same instant.
public struct ReconnectBackoff: Sendable, Equatable {
    /// The delay before the first retry (before jitter).
    public var initial: Duration
    /// The longest delay between attempts (before jitter): the bound on backoff.
    public var maximum: Duration
    /// Growth factor per failed attempt; at least 1.
    public var multiplier: Double
    /// The largest fraction (0...1) by which a delay is randomly shortened.
    public var jitter: Double

    /// Creates a backoff. `multiplier` is raised to at least 1 and `jitter` clamped to 0...1.
    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30), multiplier: Double = 2, jitter: Double = 0.5) {
        self.initial = max(initial, .zero)
        self.maximum = max(maximum, self.initial)
        self.multiplier = max(multiplier, 1)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before attempt `attempt` (1 for the first retry), given `unitRandom` in
    /// 0..<1 (0 keeps the full delay, values near 1 shorten it by up to `jitter`).
    public func delay(beforeAttempt attempt: Int, unitRandom: Double) -> Duration {
        let exponent = Double(max(attempt, 1) - 1)
        let grown = initial.inSeconds * pow(multiplier, exponent)
        let bounded = min(grown.isFinite ? grown : .infinity, maximum.inSeconds)
        let shortened = bounded * (1 - jitter * min(max(unitRandom, 0), 1))
        return .milliseconds(Int64((shortened * 1000).rounded()))
    }
}
