import SeatTestPostgres
import Foundation
import Testing

/// Checks `condition` every 20 ms until it holds; records an issue and throws after `timeout`.
func eventually(
    _ what: String, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        if ContinuousClock.now >= deadline {
            Issue.record("timed out after \(timeout) waiting for \(what)", sourceLocation: sourceLocation)
            throw FixtureError("timed out waiting for \(what)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Runs blocking `work` on a thread of its own (as the storage writer calls the log) and
/// awaits its result without holding a pool thread.
func onThread<Value: Sendable, Failure: Error>(_ work: @escaping @Sendable () throws(Failure) -> Value) async -> Result<Value, Failure> {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            continuation.resume(returning: Result { () throws(Failure) -> Value in try work() })
        }
        thread.name = "cluster-test-writer"
        thread.start()
    }
}
