import Foundation
import SeatCore
import Testing
@testable import SeatStorage

@Suite struct AuditStoreTests {
    @Test func eventsCommittedWithOtherChangesAreVisibleInOrder() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let grant = auditEvent(1, at: 1_000, kind: .grant)
            let refusal = auditEvent(2, at: 1_000, kind: .refusal)
            try await store.commit([.putSession(session(1)), .appendAudit(grant), .appendAudit(refusal)])
            store.commitLazily([.appendAudit(auditEvent(3, at: 1_001, kind: .release))])
            try await store.flush()

            #expect(try store.loadLiveSessions() == [session(1)])
            let page = try store.auditEvents(AuditQuery())
            #expect(page.events == [stored(grant, 1), stored(refusal, 2), stored(auditEvent(3, at: 1_001, kind: .release), 3)])
            #expect(page.isComplete)
            #expect(page.nextCursor == AuditCursor(time: .init(millisecondsSinceEpoch: 1_001), sequence: 3))
            #expect(try store.auditUsage().events == 3)
        }
    }

    /// A batch that fails stores neither its changes nor its events, and uses up no sequence.
    @Test func failedBatchStoresNoEventAndLeavesNoGap() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory, initialMapSizeBytes: 256 << 10, maximumMapSizeBytes: 256 << 10)
            defer { store.close() }
            try await store.commit([.appendAudit(auditEvent(1, at: 10))])
            let tooBig = (0..<10_000).map { StoreChange.putSession(session($0)) } + [.appendAudit(auditEvent(2, at: 20))]
            await #expect(throws: StorageError.self) { try await store.commit(tooBig) }
            try await store.commit([.appendAudit(auditEvent(3, at: 30))])
            #expect(try store.auditEvents(AuditQuery()).events.map(\.sequence) == [1, 2])
            #expect(try store.auditEvents(AuditQuery()).events.map(\.user) == ["user1", "user3"])
        }
    }

    @Test func sequenceContinuesAfterReopenEvenWhenEverythingWasPurged() async throws {
        try await withTemporaryDirectory { directory in
            var store = try openStore(directory)
            try await store.commit((1...5).map { .appendAudit(auditEvent($0, at: Int64($0))) })
            store.close()

            store = try openStore(directory)
            try await store.commit([.appendAudit(auditEvent(6, at: 6))])
            #expect(try store.auditEvents(AuditQuery()).events.map(\.sequence) == [1, 2, 3, 4, 5, 6])
            #expect(try await store.purgeAudit(.session, olderThan: .init(millisecondsSinceEpoch: .max), maxBytes: .max, limit: 100) == 6)
            store.close()

            store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.appendAudit(auditEvent(7, at: 1))])
            #expect(try store.auditEvents(AuditQuery()).events.map(\.sequence) == [7])
        }
    }

    @Test func queriesFilterByEveryField() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let events = [
                auditEvent(1, at: 100, kind: .grant, tenant: "acme", license: "A-1", user: "alice"),
                auditEvent(2, at: 200, kind: .refusal, tenant: "acme", license: "A-2", user: "bob"),
                auditEvent(3, at: 300, kind: .release, tenant: "globex", license: "G-1", user: "alice"),
                auditEvent(4, at: 400, kind: .admin, tenant: "globex", license: "", user: "root"),
                auditEvent(5, at: 500, kind: .grant, tenant: "acme", license: "A-1", user: "bob"),
            ]
            try await store.commit(events.map { .appendAudit($0) })
            func users(_ query: AuditQuery) throws -> [String] {
                try store.auditEvents(query).events.map(\.user)
            }
            #expect(try users(AuditQuery()) == ["alice", "bob", "alice", "root", "bob"])
            #expect(try users(AuditQuery(tenant: "globex")) == ["alice", "root"])
            #expect(try users(AuditQuery(licenseKey: "A-1")) == ["alice", "bob"])
            #expect(try users(AuditQuery(user: "alice")) == ["alice", "alice"])
            #expect(try users(AuditQuery(kinds: [.grant, .admin])) == ["alice", "root", "bob"])
            #expect(try users(AuditQuery(tenant: "acme", user: "bob", kinds: [.grant])) == ["bob"])
            #expect(try users(AuditQuery(tenant: "nobody")) == [])
            // since is inclusive, until exclusive.
            #expect(try users(AuditQuery(since: .init(millisecondsSinceEpoch: 200), until: .init(millisecondsSinceEpoch: 400))) == ["bob", "alice"])
            #expect(try users(AuditQuery(since: .init(millisecondsSinceEpoch: 201))) == ["alice", "root", "bob"])
            #expect(try users(AuditQuery(until: .init(millisecondsSinceEpoch: 100))) == [])
            let bounded = try store.auditEvents(AuditQuery(until: .init(millisecondsSinceEpoch: 250)))
            #expect(bounded.isComplete)
            #expect(bounded.nextCursor == AuditCursor(time: .init(millisecondsSinceEpoch: 200), sequence: 2))
        }
    }

    @Test func pagesWithCursorsReturnEveryEventOnce() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            // Several events per millisecond: the cursor must tell them apart by sequence.
            let events = (0..<25).map { auditEvent($0, at: 1_000 + Int64($0 / 3)) }
            try await store.commit(events.map { .appendAudit($0) })

            var query = AuditQuery(since: .init(millisecondsSinceEpoch: 1_000), limit: 10)
            var pages: [AuditPage] = []
            repeat {
                let page = try store.auditEvents(query)
                pages.append(page)
                query.after = page.nextCursor
            } while !(pages.last?.isComplete ?? true) && pages.count < 10
            #expect(pages.map(\.events.count) == [10, 10, 5])
            #expect(pages.map(\.isComplete) == [false, false, true])
            #expect(pages.flatMap(\.events) == events.enumerated().map { stored($0.element, UInt64($0.offset + 1)) })
        }
    }

    @Test func followReturnsOnlyEventsAfterTheCursor() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.appendAudit(auditEvent(1, at: 5_000)), .appendAudit(auditEvent(2, at: 5_000))])
            let first = try store.auditEvents(AuditQuery())
            #expect(first.events.count == 2)
            let cursor = try #require(first.nextCursor)

            let idle = try store.auditEvents(AuditQuery(after: cursor))
            #expect(idle.events.isEmpty)
            #expect(idle.isComplete)
            #expect(idle.nextCursor == cursor)

            // The second was stamped just before the last one read (it read the clock first
            // but reached storage later): a follower must still get it.
            store.commitLazily([.appendAudit(auditEvent(3, at: 5_001))])
            store.commitLazily([.appendAudit(auditEvent(4, at: 4_900))])
            try await store.flush()
            let next = try store.auditEvents(AuditQuery(after: cursor))
            #expect(next.events.map(\.user) == ["user3", "user4"])
            #expect(next.events.map(\.sequence) == [3, 4])
            #expect(next.events.map(\.time.millisecondsSinceEpoch) == [5_001, 5_001])
        }
    }

    /// The clock was set back further than the reorder tolerance (while seatd was down):
    /// the event keeps its real time and still sorts by it.
    @Test func largeClockStepBackKeepsTheRealTime() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.appendAudit(auditEvent(1, at: 100_000))])
            try await store.commit([.appendAudit(auditEvent(2, at: 1_000)), .appendAudit(auditEvent(3, at: 1_500))])
            let events = try store.auditEvents(AuditQuery()).events
            #expect(events.map(\.time.millisecondsSinceEpoch) == [1_000, 1_500, 100_000])
            #expect(events.map(\.sequence) == [2, 3, 1])
        }
    }

    /// Few matches among many records: each call looks at a bounded number of records and
    /// says where to continue, instead of scanning the whole log in one read transaction.
    @Test func examinationIsCappedPerCall() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            var events = (0..<100).map { auditEvent($0, at: 100 + Int64($0), user: "noise") }
            events.insert(auditEvent(1_000, at: 150, user: "needle"), at: 50)
            events.append(auditEvent(1_001, at: 300, user: "needle"))
            try await store.commit(events.map { .appendAudit($0) })

            var query = AuditQuery(user: "needle", maximumExamined: 30)
            var pages: [AuditPage] = []
            repeat {
                let page = try store.auditEvents(query)
                pages.append(page)
                query.after = page.nextCursor
            } while !(pages.last?.isComplete ?? true) && pages.count < 10
            #expect(pages.map(\.events.count) == [0, 1, 0, 1])
            #expect(pages.map(\.isComplete) == [false, false, false, true])
            #expect(pages[0].nextCursor?.sequence == 30)
            #expect(pages.flatMap(\.events).map(\.time.millisecondsSinceEpoch) == [150, 300])
        }
    }

    @Test func retentionByAgeDeletesOldestFirstUpToTheLimit() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.commit((0..<100).map { .appendAudit(auditEvent($0, at: Int64($0) * 10)) })
            let cutoff = Timestamp(millisecondsSinceEpoch: 500)
            #expect(try await store.purgeAudit(.session, olderThan: cutoff, maxBytes: .max, limit: 20) == 20)
            #expect(try store.auditEvents(AuditQuery(limit: 1)).events.first?.time.millisecondsSinceEpoch == 200)
            #expect(try await store.purgeAudit(.session, olderThan: cutoff, maxBytes: .max, limit: 1_000) == 30)
            #expect(try await store.purgeAudit(.session, olderThan: cutoff, maxBytes: .max, limit: 1_000) == 0)
            let left = try store.auditEvents(AuditQuery()).events
            #expect(left.map(\.time.millisecondsSinceEpoch) == (50..<100).map { Int64($0) * 10 })
        }
    }

    @Test func retentionBySizeKeepsTheNewestUnderTheCap() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let count = 20_000
            for batch in stride(from: 0, to: count, by: 5_000) {
                try await store.commit((batch..<batch + 5_000).map { .appendAudit(auditEvent($0, at: 1_000_000 + Int64($0))) })
            }
            let full = try store.auditUsage()
            #expect(full.events == count)
            let cap = 64 << 10
            #expect(full.bytes > 10 * cap)

            var purged = 0
            while true {
                let batch = try await store.purgeAudit(.session, olderThan: .init(millisecondsSinceEpoch: .min), maxBytes: cap, limit: 5_000)
                if batch == 0 { break }
                purged += batch
            }
            let trimmed = try store.auditUsage()
            #expect(trimmed.bytes <= cap)
            #expect(trimmed.events == count - purged)
            #expect(trimmed.events > 100)
            let left = try store.auditEvents(AuditQuery(limit: count)).events
            #expect(left.map(\.sequence) == Array(UInt64(purged + 1)...UInt64(count)))
        }
    }

    /// What the operations guide says about sizing: a typical event takes about 110 bytes
    /// (pages stay full because keys are appended in order).
    @Test func typicalEventsTakeUnder128Bytes() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let count = 10_000
            try await store.commit((0..<count).map { number in
                .appendAudit(AuditEvent(time: .init(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(number) * 250), kind: .grant,
                                        tenant: "acme", licenseKey: "ACME-CAD-25", user: "user\(number % 500)",
                                        hostname: "ws-\(number % 500).corp.example.com", address: "10.20.\(number % 250).\(number % 200):5\(number % 10_000)",
                                        detail: "session=\(String(number, radix: 16))"))
            })
            let usage = try store.auditUsage()
            #expect(usage.bytes / count < 128, "\(usage.bytes / count) bytes per event")
        }
    }

    @Test func purgeNeverTouchesOtherData() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.putLicense(license("A")), .putSession(session(1)), .putSession(session(2))]
                + (0..<1_000).map { .appendAudit(auditEvent($0, at: Int64($0))) })
            try await store.commit([.endSession(ended(2, at: 5))])
            #expect(try await store.purgeAudit(.session, olderThan: .init(millisecondsSinceEpoch: .max), maxBytes: 0, limit: 10_000) == 1_000)
            #expect(try store.auditUsage() == AuditUsage(events: 0, bytes: 0))
            #expect(try store.loadLicenses() == [license("A")])
            #expect(try store.loadLiveSessions() == [session(1)])
            #expect(try store.endedSession(token(2)) == ended(2, at: 5))
        }
    }

    /// A store written before the audit log existed (no `audit` database) opens as is.
    @Test func storeWithoutAuditDatabaseOpens() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let environment = try LMDBEnvironment(directory: directory, mapSizeBytes: 1 << 20, maximumReaders: 8, noSync: false)
            try environment.write { txn throws(StorageError) in
                let meta = try txn.openDatabase(named: "meta", create: true)
                let licenses = try txn.openDatabase(named: "licenses", create: true)
                for name in ["sessions", "ended", "ended_by_time"] { _ = try txn.openDatabase(named: name, create: true) }
                try Array("schema_version".utf8).withBytes { key throws(StorageError) in
                    try [UInt8]([0, 0, 0, 1]).withBytes { value throws(StorageError) in try txn.put(meta, key, value) }
                }
                try Array("A".utf8).withBytes { key throws(StorageError) in
                    try RecordCodec.encode(license("A")).withBytes { value throws(StorageError) in try txn.put(licenses, key, value) }
                }
            }
            environment.close()

            let store = try openStore(directory)
            defer { store.close() }
            #expect(try store.loadLicenses() == [license("A")])
            #expect(try store.auditEvents(AuditQuery()) == AuditPage(events: [], nextCursor: nil, isComplete: true))
            try await store.commit([.appendAudit(auditEvent(1, at: 1))])
            #expect(try store.auditEvents(AuditQuery()).events.map(\.sequence) == [1])
        }
    }

    @Test func closedStoreRejectsAuditCalls() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            store.close()
            #expect(throws: StorageError.closed) { try store.auditEvents(AuditQuery()) }
            #expect(throws: StorageError.closed) { try store.auditUsage() }
            await #expect(throws: StorageError.closed) {
                try await store.purgeAudit(.session, olderThan: .init(millisecondsSinceEpoch: 1), maxBytes: 0, limit: 1)
            }
        }
    }

    private func stored(_ event: AuditEvent, _ sequence: UInt64) -> AuditEvent {
        var event = event
        event.sequence = sequence
        return event
    }
}

func auditEvent(_ number: Int, at time: Int64, kind: AuditKind = .grant, tenant: String = "acme",
                license: String = "LIC-1", user: String? = nil) -> AuditEvent {
    AuditEvent(time: .init(millisecondsSinceEpoch: time), kind: kind, tenant: tenant, licenseKey: license,
               user: user ?? "user\(number)", hostname: "host-\(number)", address: "10.0.0.\(number % 256):50123",
               detail: "session=\(number)")
}
