import SeatClient
import Testing

@Suite struct ReconnectBackoffTests {
    @Test func growsExponentiallyUpToTheBound() {
        let backoff = ReconnectBackoff(initial: .milliseconds(250), maximum: .seconds(4), multiplier: 2, jitter: 0)
        let delays = (1...8).map { backoff.delay(beforeAttempt: $0, unitRandom: 0) }
        #expect(delays == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4), .seconds(4)])
        // Huge attempt counts neither overflow nor exceed the bound.
        #expect(backoff.delay(beforeAttempt: 10_000, unitRandom: 0) == .seconds(4))
        #expect(backoff.delay(beforeAttempt: 0, unitRandom: 0) == .milliseconds(250))
    }

    @Test(arguments: [0.0, 0.1, 0.5, 0.9, 0.999])
    func jitterShortensByAtMostItsFraction(unitRandom: Double) {
        let backoff = ReconnectBackoff(initial: .seconds(2), maximum: .seconds(60), multiplier: 3, jitter: 0.4)
        for attempt in 1...6 {
            let full = backoff.delay(beforeAttempt: attempt, unitRandom: 0)
            let jittered = backoff.delay(beforeAttempt: attempt, unitRandom: unitRandom)
            #expect(jittered <= full)
            #expect(jittered >= full * 0.6 - .milliseconds(1))
        }
        #expect(backoff.delay(beforeAttempt: 1, unitRandom: 0.5) == .milliseconds(1600))
    }

    @Test func clampsNonsenseParameters() {
        let backoff = ReconnectBackoff(initial: .seconds(-1), maximum: .seconds(-5), multiplier: 0.5, jitter: 7)
        #expect(backoff.initial == .zero)
        #expect(backoff.maximum == .zero)
        #expect(backoff.multiplier == 1)
        #expect(backoff.jitter == 1)
        let flat = ReconnectBackoff(initial: .seconds(1), maximum: .seconds(10), multiplier: 0.1, jitter: 0)
        #expect(flat.delay(beforeAttempt: 5, unitRandom: 0) == .seconds(1))
    }
}
