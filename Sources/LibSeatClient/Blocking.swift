import Dispatch

/// Runs async SeatClient work for a C caller, blocking the caller's thread until it ends.
///
/// The work runs on Swift's global executor, never on the caller's thread, so this is safe
/// from any thread that is not itself one of Swift's cooperative threads: C application
/// threads and the lease's callback thread, which is where the C API is called from.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = Locked<Result<T, any Error>?>(nil)
    let finished = DispatchSemaphore(value: 0)
    Task {
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        outcome.withLock { $0 = result }
        finished.signal()
    }
    finished.wait()
    return try outcome.value!.get()
}
