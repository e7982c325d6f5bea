import Foundation
import SeatCore
import Testing
@testable import SeatStorage

/// `SeatStore.commit(_:completion:)`, the event loop's way to commit: the completion runs
/// once, on the writer thread, after the commit is durable.
@Suite struct CommitCompletionTests {
    @Test func completionRunsOnceOnTheWriterThreadAfterTheCommitIsVisible() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let callers = 300
            // Per caller: completions seen, and whether a fresh read found the change.
            let seen = Shared([(calls: Int, visible: Bool, onWriter: Bool)](repeating: (0, false, false), count: callers))
            let (done, finished) = AsyncStream.makeStream(of: Void.self)
            for number in 0..<callers {
                store.commit([.endSession(ended(number, at: Int64(number)))]) { result in
                    let visible = (try? result.get()) != nil && (try? store.endedSession(token(number))) == ended(number, at: Int64(number))
                    let onWriter = Thread.current.name == StorageWriter.threadName
                    seen.withLock { $0[number].calls += 1; $0[number].visible = visible; $0[number].onWriter = onWriter }
                    finished.yield()
                }
            }
            for await _ in done.prefix(callers) {}
            // Completions of a batch all run before the next batch: after a flush, any
            // second call of one would have happened.
            try await store.flush()
            let outcomes = seen.withLock { $0 }
            #expect(outcomes.allSatisfy { $0.calls == 1 })
            #expect(outcomes.allSatisfy { $0.visible })
            #expect(outcomes.allSatisfy { $0.onWriter })
        }
    }

    @Test func refusedAndClosedCallsCompleteOnce() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            let calls = Shared<[String: [Result<Void, StorageError>]]>([:])
            func record(_ name: String) -> @Sendable (Result<Void, StorageError>) -> Void {
                { result in calls.withLock { $0[name, default: []].append(result) } }
            }
            // Refused up front: completed before `commit` returns, on the caller's thread.
            store.commit([.putLicense(license(""))], completion: record("invalid"))
            #expect(calls.withLock { $0["invalid"]?.count } == 1)

            // Queued before close: committed by the drain.
            let gate = await WriterGate.hold(store)
            store.commit([.putLicense(license("A"))], completion: record("queued"))
            // `close` waits for the drain: on a thread of its own, not the test's task.
            await withCheckedContinuation { (closed: CheckedContinuation<Void, Never>) in
                Thread {
                    store.close()
                    closed.resume()
                }.start()
                gate.open()
            }
            store.commit([.putLicense(license("B"))], completion: record("after close"))

            let results = calls.withLock { $0 }
            #expect(results["queued"]?.count == 1)
            #expect((try? results["queued"]?.first?.get()) != nil)
            #expect(results["after close"]?.count == 1)
            guard case .failure(.closed) = results["after close"]?.first else {
                Issue.record("expected .closed after close, got \(String(describing: results["after close"]))")
                return
            }
            guard case .failure(.io) = results["invalid"]?.first else {
                Issue.record("expected an I/O error for the empty key, got \(String(describing: results["invalid"]))")
                return
            }
            let reopened = try openStore(directory)
            defer { reopened.close() }
            #expect(try reopened.loadLicenses() == [license("A")])
        }
    }

    /// Completions run between batches with no lock held, so one that reads the store,
    /// works a while and commits again (its own chain) does not stall the writer, and
    /// callers enqueueing meanwhile are committed in the following batches.
    @Test func completionThatWorksAndCommitsAgainDoesNotStallTheWriter() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let links = 40
            let (chainDone, chainFinished) = AsyncStream.makeStream(of: Int.self)
            @Sendable func link(_ number: Int) {
                store.commit([.putSession(session(number))]) { result in
                    guard (try? result.get()) != nil else {
                        chainFinished.yield(number)
                        return
                    }
                    _ = try? store.loadLiveSessions()
                    Thread.sleep(forTimeInterval: 0.002)
                    if number + 1 < links { link(number + 1) } else { chainFinished.yield(links) }
                }
            }
            link(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in 1_000..<1_200 {
                    group.addTask { try await store.commit([.putSession(session(number))]) }
                }
                try await group.waitForAll()
            }
            var reached: Int?
            for await number in chainDone.prefix(1) { reached = number }
            #expect(reached == links)
            #expect(try store.loadLiveSessions().count == links + 200)
        }
    }
}
