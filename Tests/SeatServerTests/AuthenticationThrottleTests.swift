import Testing
@testable import SeatServer

@Suite struct AuthenticationThrottleTests {
    @Test func anAddressIsRefusedAfterTheLimitUntilItsWindowEnds() {
        var throttle = AuthenticationThrottle(limit: 3, globalLimit: 1_000, windowMilliseconds: 60_000)
        let attempt = AuthenticationThrottle.Attempt.unknownKey(address: "10.0.0.1")
        for second in 0..<3 {
            #expect(throttle.retryAfter(attempt, now: Int64(second) * 1000) == nil)
            throttle.recordFailure(attempt, now: Int64(second) * 1000)
        }
        #expect(throttle.retryAfter(attempt, now: 10_000) == 50_000)
        // Other addresses are unaffected.
        #expect(throttle.retryAfter(.unknownKey(address: "10.0.0.2"), now: 10_000) == nil)
        // The window ends 60 s after its first failure.
        #expect(throttle.retryAfter(attempt, now: 59_999) == 1)
        #expect(throttle.retryAfter(attempt, now: 60_000) == nil)
        // A failure after the window starts a new one.
        throttle.recordFailure(attempt, now: 61_000)
        #expect(throttle.retryAfter(attempt, now: 61_000) == nil)
    }

    @Test func memoryIsBoundedByTheCapacity() {
        var throttle = AuthenticationThrottle(limit: 2, globalLimit: 1_000_000, windowMilliseconds: 60_000, capacity: 100)
        for index in 0..<10_000 {
            throttle.recordFailure(.unknownKey(address: "10.\(index / 65_536).\(index / 256 % 256).\(index % 256)"), now: Int64(index))
        }
        #expect(throttle.trackedAttempts <= 100)
        // The newest attacker is still tracked: a second failure limits it.
        throttle.recordFailure(.unknownKey(address: "10.0.39.15"), now: 10_000)
        #expect(throttle.retryAfter(.unknownKey(address: "10.0.39.15"), now: 10_001) != nil)
    }
}

@Suite struct AccessKeySecretTests {
    @Test func generatedKeysParseBackAndMatchOnlyTheirOwnDigest() throws {
        let key = AccessKeySecret.generate()
        let other = AccessKeySecret.generate()
        #expect(key.text.count == "seatd_".count + 16 + 1 + 43)
        let parsed = try #require(AccessKeySecret(parsing: key.text))
        #expect(parsed == key)
        #expect(parsed.matches(key.digest))
        #expect(!parsed.matches(other.digest))
        #expect(key.id != other.id && key.secret != other.secret)
    }

    @Test func malformedTextIsRejected() {
        let valid = AccessKeySecret.generate().text
        for text in ["", "seatd_", "sk_" + valid.dropFirst(6), String(valid.dropLast()), valid + "A", valid.uppercased(),
                     valid.replacingOccurrences(of: "_", with: "-")] {
            #expect(AccessKeySecret(parsing: text) == nil, "\(text)")
        }
    }
}
