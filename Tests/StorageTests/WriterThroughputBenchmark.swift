import Foundation
import SeatCore
import Testing
@testable import SeatStorage

/// Per-commit overhead of the writer: many concurrent callers of small commits at
/// `noSync`, so the figure is the writer's own cost, not the disk's. It only prints (no
/// timing assertion); run it on purpose, in release mode:
///
///     SEATD_STORAGE_BENCHMARK=1 swift test -c release --filter WriterThroughputBenchmark
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SEATD_STORAGE_BENCHMARK"] != nil))
struct WriterThroughputBenchmark {
    static let callers = 64
    static let commitsPerCaller = 2_000

    /// Callers that await each commit (the actor path).
    @Test func awaitingCallers() async throws {
        try await measure("awaiting callers") { store in
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<Self.callers {
                    group.addTask {
                        for commit in 0..<Self.commitsPerCaller {
                            try? await store.commit([.putSession(session(caller * Self.commitsPerCaller + commit))])
                        }
                    }
                }
            }
        }
    }

    /// Callers that submit the next commit from their completion after hopping to a queue
    /// of their own (the event-loop path: `eventLoop.execute` then commit again).
    @Test func completionCallers() async throws {
        try await measure("completion callers") { store in
            let (done, finished) = AsyncStream.makeStream(of: Void.self)
            for caller in 0..<Self.callers {
                let loop = DispatchQueue(label: "benchmark-caller-\(caller)")
                @Sendable func submit(_ commit: Int) {
                    store.commit([.putSession(session(caller * Self.commitsPerCaller + commit))]) { _ in
                        loop.async {
                            if commit + 1 < Self.commitsPerCaller { submit(commit + 1) } else { finished.yield() }
                        }
                    }
                }
                loop.async { submit(0) }
            }
            for await _ in done.prefix(Self.callers) {}
        }
    }

    private func measure(_ name: String, _ run: (SeatStore) async -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory, initialMapSizeBytes: 256 << 20, durability: .noSync)
            defer { store.close() }
            let started = ContinuousClock.now
            await run(store)
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            let statistics = store.statistics
            let commits = Self.callers * Self.commitsPerCaller
            // The figure means something only if every commit was stored.
            #expect(try store.loadLiveSessions().count == commits)
            #expect(statistics.committedChanges == commits)
            print("""
                writer benchmark, \(name): \(Self.callers) callers × \(Self.commitsPerCaller) commits in \
                \(String(format: "%.2f", seconds)) s: \(Int(Double(commits) / seconds)) commits/s, \
                \(statistics.commits) transactions, mean batch \
                \(String(format: "%.1f", Double(statistics.committedChanges) / Double(max(statistics.commits, 1))))
                """)
        }
    }
}
