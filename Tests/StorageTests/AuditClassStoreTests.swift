import Foundation
import SeatCore
import Testing
@testable import SeatStorage

/// Aggregated events on disk, and the classes' separate databases.
@Suite struct AuditClassStoreTests {
    @Test func aggregatedEventsRoundTripAsVersion2AndSingleEventsStayVersion1() throws {
        let aggregate = AuditAggregate(count: 7_400, firstSeen: .init(millisecondsSinceEpoch: 1_000), lastSeen: .init(millisecondsSinceEpoch: 59_000))
        let event = AuditEvent(sequence: 3, time: .init(millisecondsSinceEpoch: 60_000), kind: .refusal, tenant: "acme",
                               licenseKey: "NOPE", detail: "unknownLicense", aggregate: aggregate)
        let record = RecordCodec.encodeAuditRecord(event)
        #expect(record.first == RecordCodec.aggregatedAuditRecordVersion)
        // The aggregate follows the version 1 fields: count, first seen, last seen.
        #expect(Array(record.suffix(24)) == [0, 0, 0, 0, 0, 0, 0x1C, 0xE8, 0, 0, 0, 0, 0, 0, 0x03, 0xE8, 0, 0, 0, 0, 0, 0, 0xE6, 0x78])
        let decoded = try record.withUnsafeBytes { try RecordCodec.decodeAuditEvent(key: AuditCursor(event), $0) }
        #expect(decoded == event)
        var single = event
        single.aggregate = nil
        #expect(RecordCodec.encodeAuditRecord(single).first == RecordCodec.auditRecordVersion)
    }

    @Test func eachClassHasItsOwnDatabaseAndPurgingOneLeavesTheOthers() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let kinds = AuditKind.allCases
            try await store.commit((0..<700).map { .appendAudit(auditEvent($0, at: Int64($0), kind: kinds[$0 % kinds.count])) })
            for auditClass in AuditClass.allCases {
                let expected = kinds.filter { $0.auditClass == auditClass }.count * 100
                #expect(try store.auditUsage(auditClass).events == expected, "\(auditClass)")
            }
            #expect(try await store.purgeAudit(.volume, olderThan: .init(millisecondsSinceEpoch: .max), maxBytes: 0, limit: 10_000) == 100)
            #expect(try store.auditUsage(.volume).events == 0)
            #expect(try store.auditUsage().events == 600)
            #expect(try store.auditEvents(AuditQuery(limit: 1_000)).events.filter { $0.kind == .refusal }.isEmpty)
            // Sequences are global and continue across classes after a reopen.
            store.close()
            let reopened = try openStore(directory)
            defer { reopened.close() }
            try await reopened.commit([.appendAudit(auditEvent(700, at: 700, kind: .admin))])
            #expect(try reopened.auditEvents(AuditQuery(kinds: [.admin], limit: 1_000)).events.last?.sequence == 701)
        }
    }

    /// A store written before classes has every event in `audit`: opening it moves the
    /// admin-class events out, once, so the session budget cannot evict them.
    @Test func aStoreFromBeforeClassesGetsItsAdminEventsSeparatedOnce() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let environment = try LMDBEnvironment(directory: directory, mapSizeBytes: 1 << 20, maximumReaders: 8, noSync: false)
            let kinds: [AuditKind] = [.grant, .admin, .refusal, .forceRelease, .release]
            try environment.write { txn throws(StorageError) in
                let audit = try txn.openDatabase(named: "audit", create: true)
                for number in 0..<10 {
                    let event = auditEvent(number, at: Int64(number), kind: kinds[number % kinds.count])
                    try RecordCodec.withAuditKey(AuditCursor(time: event.time, sequence: UInt64(number + 1))) { key throws(StorageError) in
                        try RecordCodec.encodeAuditRecord(event).withBytes { value throws(StorageError) in try txn.put(audit, key, value) }
                    }
                }
            }
            environment.close()

            let store = try openStore(directory)
            defer { store.close() }
            #expect(try store.auditUsage(.admin).events == 4)
            #expect(try store.auditUsage(.session).events == 6, "refusals of an old store stay, as session events")
            #expect(try store.auditEvents(AuditQuery()).events.map(\.sequence) == Array(1...10), "still one log in order")
            try await store.commit([.appendAudit(auditEvent(10, at: 10, kind: .grant))])
            #expect(try store.auditEvents(AuditQuery()).events.last?.sequence == 11)
        }
    }
}
