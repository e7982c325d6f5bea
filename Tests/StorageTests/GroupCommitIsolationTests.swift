import CLMDB
import Foundation
import SeatCore
import Testing
@testable import SeatStorage

/// A change that fails on its own account fails only its caller; the rest of its batch
/// commits, in order. A failure of the whole store still fails the whole batch.
@Suite struct GroupCommitIsolationTests {
    @Test func badChangeFailsOnlyItsCallerAndTheOthersAreDurableInOrder() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            let gate = await WriterGate.hold(store)
            let calls: [[StoreChange]] = (0..<9).map { number in
                var changes: [StoreChange] = [.putSession(session(number)), .appendAudit(auditEvent(number, at: 1_000 + Int64(number)))]
                // The same license written before and after the bad caller: the later one wins.
                if number == 2 || number == 6 { changes.append(.putLicense(license("A", seats: number))) }
                // Its first two changes are valid: the job is refused whole.
                if number == 4 { changes.append(.putLicense(license(overlongKey))) }
                return changes
            }
            let results = await commitInOneBatch(store, calls, gate: gate)

            for (number, result) in results.enumerated() where number != 4 {
                #expect((try? result.get()) != nil, "caller \(number): \(result)")
            }
            guard case .failure(.io(MDB_BAD_VALSIZE, _)) = results[4] else {
                Issue.record("expected MDB_BAD_VALSIZE for the bad caller, got \(results[4])")
                return
            }
            #expect(store.statistics.commits == 1)
            #expect(store.statistics.lastBatchSize == 8 * 2 + 2)
            store.close()

            let reopened = try openStore(directory)
            defer { reopened.close() }
            let committed = (0..<9).filter { $0 != 4 }
            #expect(try reopened.loadLiveSessions().sortedByToken() == committed.map { session($0) }.sortedByToken())
            #expect(try reopened.loadLicenses() == [license("A", seats: 6)])
            // Events in submission order; the refused one took no sequence.
            let events = try reopened.auditEvents(AuditQuery()).events
            #expect(events.map(\.user) == committed.map { "user\($0)" })
            #expect(events.map(\.sequence) == Array(1...8))
            try await reopened.commit([.appendAudit(auditEvent(20, at: 2_000))])
            #expect(try reopened.auditEvents(AuditQuery()).events.last?.sequence == 9)
        }
    }

    @Test func everyBadCallerOfABatchIsRefusedAloneInOneCommit() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let bad: Set = [0, 31, 40, 41, 63]
            let gate = await WriterGate.hold(store)
            let results = await commitInOneBatch(store, (0..<64).map { number in
                bad.contains(number) ? [.putLicense(license(overlongKey))] : [.putSession(session(number))]
            }, gate: gate)

            #expect(Set(results.indices.filter { (try? results[$0].get()) == nil }) == bad)
            #expect(store.statistics.commits == 1)
            #expect(try store.loadLiveSessions().count == 64 - bad.count)
        }
    }

    /// A lazy change whose stored record does not decode is dropped alone and reported
    /// to the next flush; awaited and lazy neighbours commit.
    @Test func lazyChangeOnACorruptRecordIsDroppedAndReportedToFlush() async throws {
        try await withTemporaryDirectory { directory in
            var store = try openStore(directory)
            try await store.commit([.putSession(session(1)), .putSession(session(2)), .endSession(ended(1, at: 10))])
            try await store.commit([.putSession(session(1))])
            store.close()
            // Session 1's tombstone no longer decodes: ending it again reads it and fails.
            try overwrite(in: directory, database: "ended", key: token(1).bytes, value: [1, 200])

            store = try openStore(directory)
            defer { store.close() }
            let gate = await WriterGate.hold(store)
            store.commitLazily([.endSession(ended(1, at: 20))])
            store.commitLazily([.refreshLease(token: token(2), lastHeartbeatAt: .init(millisecondsSinceEpoch: 30),
                                              leaseExpiresAt: .init(millisecondsSinceEpoch: 40))])
            let results = await commitInOneBatch(store, [[.putSession(session(3))]], gate: gate)
            #expect((try? results[0].get()) != nil, "\(results[0])")

            let error = await #expect(throws: StorageError.self) { try await store.flush() }
            guard case .corrupt = try #require(error) else {
                Issue.record("expected .corrupt, got \(String(describing: error))")
                return
            }
            try await store.flush()
            var refreshed = session(2)
            refreshed.lastHeartbeatAt = .init(millisecondsSinceEpoch: 30)
            refreshed.leaseExpiresAt = .init(millisecondsSinceEpoch: 40)
            #expect(try store.loadLiveSessions().sortedByToken() == [session(1), refreshed, session(3)].sortedByToken())
        }
    }

    /// The map at its maximum is the store's condition, not one caller's: everyone of the
    /// batch fails and nothing of it is stored.
    @Test func mapFullAtTheMaximumFailsEveryCallerAndStoresNothing() async throws {
        try await withTemporaryDirectory { directory in
            let cap = 256 << 10
            let store = try openStore(directory, initialMapSizeBytes: cap, maximumMapSizeBytes: cap)
            let gate = await WriterGate.hold(store)
            let results = await commitInOneBatch(store, [
                [.putSession(session(1)), .appendAudit(auditEvent(1, at: 10))],
                (100..<10_100).map { .putSession(session($0)) },
                [.putLicense(license("A"))],
            ], gate: gate)

            for result in results {
                guard case .failure(.full) = result else {
                    Issue.record("expected .full, got \(result)")
                    continue
                }
            }
            #expect(store.statistics.commits == 0)
            try await store.commit([.putLicense(license("B"))])
            store.close()

            let reopened = try openStore(directory, initialMapSizeBytes: cap, maximumMapSizeBytes: cap)
            defer { reopened.close() }
            #expect(try reopened.loadLiveSessions().isEmpty)
            #expect(try reopened.loadLicenses() == [license("B")])
            #expect(try reopened.auditEvents(AuditQuery()).events.isEmpty)
        }
    }
}
