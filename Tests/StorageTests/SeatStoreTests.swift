import Foundation
import SeatCore
import Testing
@testable import SeatStorage

@Suite struct SeatStoreTests {
    @Test func putLoadUpsertAndDelete() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory + "/nested/db")
            defer { store.close() }
            #expect(try store.loadLicenses().isEmpty)
            #expect(try store.loadLiveSessions().isEmpty)

            try await store.commit([.putLicense(license("A")), .putLicense(license("B")), .putSession(session(1)), .putSession(session(2))])
            var changedB = license("B", seats: 99)
            changedB.features = [:]
            changedB.expiresAt = nil
            try await store.commit([.putLicense(changedB), .deleteLicense(key: "A"), .putLicense(license("C"))])

            #expect(try store.loadLicenses().sortedByKey() == [changedB, license("C")])
            #expect(try store.loadLiveSessions().sortedByToken() == [session(1), session(2)].sortedByToken())
            #expect(store.statistics.commits == 2)
            #expect(store.statistics.committedChanges == 7)
            #expect(store.statistics.lastBatchSize == 3)
            let mode = try FileManager.default.attributesOfItem(atPath: directory + "/nested/db")[.posixPermissions] as? Int
            #expect(mode == 0o700)
        }
    }

    /// A key LMDB would refuse fails only its own call, never the batch it would join.
    @Test func invalidLicenseKeyFailsOnlyItsCall() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            for key in ["", String(repeating: "k", count: 512)] {
                await #expect(throws: StorageError.self) { try await store.commit([.putSession(session(1)), .putLicense(license(key))]) }
                await #expect(throws: StorageError.self) { try await store.commit([.deleteLicense(key: key)]) }
                store.commitLazily([.putLicense(license(key))])
            }
            try await store.commit([.putLicense(license(String(repeating: "k", count: 511)))])
            try await store.flush()
            #expect(try store.loadLicenses() == [license(String(repeating: "k", count: 511))])
            #expect(try store.loadLiveSessions().isEmpty)
        }
    }

    @Test(arguments: [Durability.fsync, .noSync])
    func reopenKeepsEverything(_ durability: Durability) async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory, durability: durability)
            try await store.commit([.putLicense(license("A")), .putSession(session(1)), .putSession(session(2))])
            try await store.commit([.endSession(ended(2, at: 500))])
            store.close()
            store.close()

            let reopened = try openStore(directory, durability: durability)
            defer { reopened.close() }
            #expect(try reopened.loadLicenses() == [license("A")])
            #expect(try reopened.loadLiveSessions() == [session(1)])
            #expect(try reopened.endedSession(token(2)) == ended(2, at: 500))
        }
    }

    @Test func closedStoreRejectsCalls() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            store.close()
            #expect(throws: StorageError.closed) { try store.loadLicenses() }
            #expect(throws: StorageError.closed) { try store.endedSession(token(1)) }
            #expect(throws: StorageError.closed) { try store.backup(toDirectory: directory + "/copy") }
            await #expect(throws: StorageError.closed) { try await store.commit([.putLicense(license("A"))]) }
            await #expect(throws: StorageError.closed) { try await store.flush() }
            await #expect(throws: StorageError.closed) { try await store.purgeEndedSessions(endedBefore: .init(millisecondsSinceEpoch: 1), limit: 1) }
        }
    }

    @Test func closeDrainsTheQueue() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            for number in 0..<2_000 {
                store.commitLazily([.putSession(session(number))])
            }
            store.close()
            let reopened = try openStore(directory)
            defer { reopened.close() }
            #expect(try reopened.loadLiveSessions().count == 2_000)
        }
    }

    @Test func endSessionRemovesLiveRecordAndWritesTombstone() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.putSession(session(1)), .putSession(session(2))])
            #expect(try store.endedSession(token(1)) == nil)

            try await store.commit([.endSession(ended(1, at: 1_000, end: .revoked))])
            #expect(try store.loadLiveSessions() == [session(2)])
            #expect(try store.endedSession(token(1)) == ended(1, at: 1_000, end: .revoked))

            // Ending again keeps a single tombstone (and a single time-index entry).
            try await store.commit([.endSession(ended(1, at: 2_000, end: .expired))])
            #expect(try store.endedSession(token(1)) == ended(1, at: 2_000, end: .expired))
            #expect(try await store.purgeEndedSessions(endedBefore: .init(millisecondsSinceEpoch: .max), limit: 10) == 1)
        }
    }

    @Test func refreshLeaseUpdatesLiveSessionsButNeverResurrects() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.putSession(session(1)), .putSession(session(2)), .putSession(session(3))])

            // Ended and committed, then a late heartbeat.
            try await store.commit([.endSession(ended(1, at: 10))])
            store.commitLazily([.refreshLease(token: token(1), lastHeartbeatAt: .init(millisecondsSinceEpoch: 20),
                                              leaseExpiresAt: .init(millisecondsSinceEpoch: 30))])
            // Ended and heartbeat queued back to back (most likely in one batch).
            store.commitLazily([.endSession(ended(2, at: 10))])
            store.commitLazily([.refreshLease(token: token(2), lastHeartbeatAt: .init(millisecondsSinceEpoch: 20),
                                              leaseExpiresAt: .init(millisecondsSinceEpoch: 30))])
            // A heartbeat for a session that was never stored.
            store.commitLazily([.refreshLease(token: token(99), lastHeartbeatAt: .init(millisecondsSinceEpoch: 20),
                                              leaseExpiresAt: .init(millisecondsSinceEpoch: 30))])
            // Repeated heartbeats of a live session: the last one wins.
            for time in Int64(100)...110 {
                store.commitLazily([.refreshLease(token: token(3), lastHeartbeatAt: .init(millisecondsSinceEpoch: time),
                                                  leaseExpiresAt: .init(millisecondsSinceEpoch: time + 1_000))])
            }
            try await store.flush()

            var expected = session(3)
            expected.lastHeartbeatAt = .init(millisecondsSinceEpoch: 110)
            expected.leaseExpiresAt = .init(millisecondsSinceEpoch: 1_110)
            #expect(try store.loadLiveSessions() == [expected])
            #expect(try store.endedSession(token(1)) == ended(1, at: 10))
            #expect(try store.endedSession(token(2)) == ended(2, at: 10))
        }
    }

    /// Lazy changes are committed on their own (no flush needed), grouped into few commits,
    /// and survive a reopen.
    @Test func lazyChangesAloneAreCommittedInGroups() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            try await store.commit((1...50).map { .putSession(session($0)) })
            let commitsBefore = store.statistics.commits
            for number in 1...50 {
                store.commitLazily([refresh(number, heartbeatAt: 5_000, expiresAt: 9_000)])
            }
            var refreshed = 0
            for _ in 0..<200 where refreshed < 50 {
                try await Task.sleep(for: .milliseconds(10))
                refreshed = try store.loadLiveSessions().filter { $0.leaseExpiresAt.millisecondsSinceEpoch == 9_000 }.count
            }
            #expect(refreshed == 50)
            #expect(store.statistics.commits - commitsBefore < 10)
            try await store.commit([.putSession(session(51))])
            store.close()

            let sessions = try liveSessionsAfterReopening(directory)
            #expect(sessions.count == 51)
            #expect(sessions.first { $0.token == token(1) }?.leaseExpiresAt.millisecondsSinceEpoch == 9_000)
        }
    }

    /// A commit someone awaits ends the lazy grouping delay at once, and takes the lazy
    /// changes queued before it along. The delay here is an hour: waiting it out would
    /// mean no answer within the minute the test gives (a commit takes milliseconds).
    @Test func anAwaitedCommitEndsTheLazyDelayAndTakesTheLazyChangesAlong() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory, lazyCommitDelay: .seconds(3_600))
            try await store.commit([.putSession(session(1))])
            let commitsBefore = store.statistics.commits
            store.commitLazily([refresh(1, heartbeatAt: 6_000, expiresAt: 10_000)])
            // Time for the writer to start the lazy wait (slower, and this only checks less);
            // alone, the lazy change waits out the delay.
            try await Task.sleep(for: .milliseconds(200))
            #expect(store.statistics.commits == commitsBefore)
            let committedInTime = await withTaskGroup(of: Bool.self) { group in
                group.addTask { (try? await store.commit([.putSession(session(2))])) != nil }
                group.addTask { (try? await Task.sleep(for: .seconds(60))) == nil }
                let first = await group.next() ?? false
                // Lost the race: closing the store ends the waiting commit, so the test ends.
                if !first { store.close() }
                group.cancelAll()
                return first
            }
            #expect(committedInTime, "the awaited commit waited for the lazy delay")
            store.close()

            let sessions = try liveSessionsAfterReopening(directory)
            #expect(sessions.count == 2)
            #expect(sessions.first { $0.token == token(1) }?.leaseExpiresAt.millisecondsSinceEpoch == 10_000)
        }
    }

    /// A heartbeat queued before a re-put of the same session must not be coalesced past it.
    @Test func laterPutSessionWinsOverEarlierHeartbeat() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.putSession(session(1))])
            var reput = session(1)
            reput.leaseExpiresAt = .init(millisecondsSinceEpoch: 5_000)
            for _ in 0..<200 {
                store.commitLazily([.refreshLease(token: token(1), lastHeartbeatAt: .init(millisecondsSinceEpoch: 1),
                                                  leaseExpiresAt: .init(millisecondsSinceEpoch: 2))])
                store.commitLazily([.putSession(reput)])
                store.commitLazily([.refreshLease(token: token(1), lastHeartbeatAt: .init(millisecondsSinceEpoch: 3),
                                                  leaseExpiresAt: .init(millisecondsSinceEpoch: 9_000))])
            }
            try await store.flush()
            #expect(try store.loadLiveSessions().first?.leaseExpiresAt == .init(millisecondsSinceEpoch: 9_000))
        }
    }

    @Test func batchHittingTheMapCapFailsWhole() async throws {
        try await withTemporaryDirectory { directory in
            let cap = 1 << 20
            let store = try openStore(directory, initialMapSizeBytes: 256 << 10, maximumMapSizeBytes: cap)
            let early = (0..<10).map { session($0) }
            try await store.commit([.putLicense(license("A"))] + early.map { .putSession($0) })

            let tooBig = (1_000..<21_000).map { StoreChange.putSession(session($0)) } + [.putLicense(license("B"))]
            let error = await #expect(throws: StorageError.self) { try await store.commit(tooBig) }
            guard case .full = try #require(error) else {
                Issue.record("expected .full, got \(String(describing: error))")
                return
            }
            #expect(store.statistics.mapSizeBytes == cap)
            #expect(try store.loadLiveSessions().sortedByToken() == early.sortedByToken())
            #expect(try store.loadLicenses() == [license("A")])

            // The store keeps working after the failure.
            try await store.commit([.putLicense(license("C"))])
            store.close()

            let reopened = try openStore(directory, initialMapSizeBytes: 256 << 10, maximumMapSizeBytes: cap)
            defer { reopened.close() }
            #expect(try reopened.loadLiveSessions().sortedByToken() == early.sortedByToken())
            #expect(try reopened.loadLicenses().sortedByKey() == [license("A"), license("C")])
        }
    }

    @Test func failedLazyBatchIsReportedByFlush() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory, initialMapSizeBytes: 256 << 10, maximumMapSizeBytes: 256 << 10)
            defer { store.close() }
            store.commitLazily((0..<10_000).map { .putSession(session($0)) })
            let error = await #expect(throws: StorageError.self) { try await store.flush() }
            guard case .full = try #require(error) else {
                Issue.record("expected .full, got \(String(describing: error))")
                return
            }
            // Reported once: the next flush has nothing failed before it.
            try await store.flush()
            #expect(try store.loadLiveSessions().isEmpty)
        }
    }

    @Test func mapGrowsWhileReadersRun() async throws {
        try await withTemporaryDirectory { directory in
            let initial = 128 << 10
            let store = try openStore(directory, initialMapSizeBytes: initial)
            defer { store.close() }
            #expect(store.statistics.mapSizeBytes == initial)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Readers hold read transactions while the writer remaps the file.
                group.addTask {
                    var last = 0
                    while last < 5_000 {
                        let count = try store.loadLiveSessions().count
                        #expect(count >= last)
                        last = count
                        await Task.yield()
                    }
                }
                group.addTask {
                    for batch in 0..<50 {
                        try await store.commit((0..<100).map { .putSession(session(batch * 100 + $0)) })
                    }
                }
                try await group.waitForAll()
            }
            #expect(store.statistics.mapSizeBytes > initial)
            #expect(store.statistics.usedBytes > initial)
            #expect(try store.loadLiveSessions().count == 5_000)
        }
    }

    @Test func concurrentCommitsAreGrouped() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            let callers = 500
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in 0..<callers {
                    group.addTask { try await store.commit([.putSession(session(number))]) }
                }
                try await group.waitForAll()
            }
            let statistics = store.statistics
            #expect(statistics.committedChanges == callers)
            #expect(statistics.commits < callers, "\(statistics.commits) commits for \(callers) callers")
            store.close()

            let reopened = try openStore(directory)
            defer { reopened.close() }
            #expect(try reopened.loadLiveSessions().count == callers)
        }
    }

    @Test func purgeDeletesOldestTombstonesUpToTheLimit() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let times: [Int64] = [700, -50, 300, 1_000, 100, 500, 900, 200, 400, 600]
            try await store.commit(times.enumerated().map { .endSession(ended($0.offset, at: $0.element)) })

            let cutoff = Timestamp(millisecondsSinceEpoch: 500)
            #expect(try await store.purgeEndedSessions(endedBefore: cutoff, limit: 3) == 3)
            func remaining() throws -> [Int64] {
                try times.indices.compactMap { try store.endedSession(token($0))?.endedAt.millisecondsSinceEpoch }.sorted()
            }
            #expect(try remaining() == [300, 400, 500, 600, 700, 900, 1_000])
            #expect(try await store.purgeEndedSessions(endedBefore: cutoff, limit: 100) == 2)
            #expect(try remaining() == [500, 600, 700, 900, 1_000])
            #expect(try await store.purgeEndedSessions(endedBefore: cutoff, limit: 100) == 0)
            #expect(try await store.purgeEndedSessions(endedBefore: .init(millisecondsSinceEpoch: 2_000), limit: 0) == 0)
            #expect(try remaining() == [500, 600, 700, 900, 1_000])
        }
    }

    @Test func backupOpensWithTheSameData() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory + "/live")
            defer { store.close() }
            let sessions = (0..<1_000).map { session($0) }
            try await store.commit([.putLicense(license("A")), .putLicense(license("B"))] + sessions.map { .putSession($0) })
            try await store.commit([.endSession(ended(0, at: 77)), .deleteLicense(key: "B")])

            try store.backup(toDirectory: directory + "/backup")
            // Writes after the backup are not in it; a second backup into it is refused.
            try await store.commit([.putLicense(license("late"))])
            #expect(throws: StorageError.self) { try store.backup(toDirectory: directory + "/backup") }

            let copy = try openStore(directory + "/backup")
            defer { copy.close() }
            #expect(try copy.loadLicenses() == [license("A")])
            #expect(try copy.loadLiveSessions().sortedByToken() == Array(sessions.dropFirst()).sortedByToken())
            #expect(try copy.endedSession(token(0)) == ended(0, at: 77))
        }
    }

    @Test func flushWaitsForEverythingQueuedBefore() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.flush()
            for number in 0..<3_000 {
                store.commitLazily([.putSession(session(number))])
            }
            try await store.flush()
            #expect(try store.loadLiveSessions().count == 3_000)
            #expect(store.statistics.committedChanges == 3_000)
        }
    }

    @Test func unknownSchemaVersionIsRejected() async throws {
        try await withTemporaryDirectory { directory in
            try openStore(directory).close()
            try overwrite(in: directory, database: "meta", key: Array("schema_version".utf8), value: [0, 0, 0, 2])
            let error = #expect(throws: StorageError.self) { try openStore(directory) }
            guard case .corrupt = try #require(error) else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
        }
    }

    @Test func corruptRecordFailsTheLoad() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            try await store.commit([.putLicense(license("A"))])
            store.close()
            try overwrite(in: directory, database: "licenses", key: Array("A".utf8), value: [1, 200])
            let reopened = try openStore(directory)
            defer { reopened.close() }
            let error = #expect(throws: StorageError.self) { try reopened.loadLicenses() }
            guard case .corrupt = try #require(error) else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
        }
    }
}
