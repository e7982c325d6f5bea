import SeatCore
import Testing
@testable import SeatStorage

@Suite struct AuditRecordCodecTests {
    static let events: [AuditEvent] = [
        AuditEvent(time: .init(millisecondsSinceEpoch: 0), kind: .grant),
        AuditEvent(sequence: 9, time: .init(millisecondsSinceEpoch: 1_700_000_000_123), kind: .refusal, tenant: "acme",
                   licenseKey: "ACME-1", user: "alice", hostname: "ws-1.example.com", address: "10.0.0.7:50123", detail: "noSeats"),
        AuditEvent(sequence: .max, time: .init(millisecondsSinceEpoch: -5), kind: .admin, tenant: "テナント",
                   licenseKey: "ключ-🎫", user: "Zoë", hostname: "wörkstation", address: "[::1]:7420",
                   detail: String(repeating: "d", count: 20_000)),
    ] + AuditKind.allCases.map { AuditEvent(sequence: 1, time: .init(millisecondsSinceEpoch: 1), kind: $0, detail: $0.rawValue) }

    @Test(arguments: events)
    func roundTrip(_ event: AuditEvent) throws {
        let key = RecordCodec.withAuditKey(AuditCursor(event)) { Array($0) }
        let record = RecordCodec.encodeAuditRecord(event)
        #expect(record.first == RecordCodec.auditRecordVersion)
        let cursor = try key.withUnsafeBytes { try RecordCodec.decodeAuditKey($0) }
        let decoded = try record.withUnsafeBytes { try RecordCodec.decodeAuditEvent(key: cursor, $0) }
        #expect(decoded == event)
    }

    /// Pins the on-disk format of the key and the record.
    @Test func goldenBytes() {
        let event = AuditEvent(sequence: 5, time: .init(millisecondsSinceEpoch: 258), kind: .refusal, tenant: "t",
                               licenseKey: "AB", user: "u", hostname: "h", address: "a", detail: "noSeats")
        #expect(RecordCodec.withAuditKey(AuditCursor(event)) { Array($0) } == [
            0x80, 0, 0, 0, 0, 0, 0x01, 0x02,
            0, 0, 0, 0, 0, 0, 0, 5,
        ])
        #expect(RecordCodec.encodeAuditRecord(event) == [
            1, 2,
            1, 0x74,
            2, 0x41, 0x42,
            1, 0x75,
            1, 0x68,
            1, 0x61,
            7, 0x6E, 0x6F, 0x53, 0x65, 0x61, 0x74, 0x73,
        ])
    }

    /// LMDB compares keys as bytes: the audit log must sort by time, then by sequence.
    @Test func keysSortByTimeThenSequence() throws {
        let cursors = [Int64.min, -1, 0, 1, 1_700_000_000_000, .max].flatMap { time in
            [UInt64(0), 1, 255, 256, .max].map { AuditCursor(time: .init(millisecondsSinceEpoch: time), sequence: $0) }
        }
        let keys = cursors.map { cursor in RecordCodec.withAuditKey(cursor) { Array($0) } }
        #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(try keys.map { key in try key.withUnsafeBytes { try RecordCodec.decodeAuditKey($0) } } == cursors)
    }

    @Test func everyTruncationIsRejected() {
        let record = RecordCodec.encodeAuditRecord(Self.events[1])
        let key = AuditCursor(Self.events[1])
        for length in 0..<record.count {
            let prefix = Array(record[..<length])
            #expect(throws: StorageError.self, "cut at \(length)") {
                try prefix.withUnsafeBytes { _ = try RecordCodec.decodeAuditEvent(key: key, $0) }
            }
        }
        #expect(throws: StorageError.self, "a trailing byte") {
            try (record + [0]).withUnsafeBytes { _ = try RecordCodec.decodeAuditEvent(key: key, $0) }
        }
        var future = record
        future[0] = 9
        #expect(throws: StorageError.self, "an unknown version") {
            try future.withUnsafeBytes { _ = try RecordCodec.decodeAuditEvent(key: key, $0) }
        }
        var unknownKind = record
        unknownKind[1] = 0
        #expect(throws: StorageError.self, "an unknown kind") {
            try unknownKind.withUnsafeBytes { _ = try RecordCodec.decodeAuditEvent(key: key, $0) }
        }
        for length in [0, 8, 15, 17] {
            #expect(throws: StorageError.self, "a \(length)-byte key") {
                try [UInt8](repeating: 0, count: length).withUnsafeBytes { _ = try RecordCodec.decodeAuditKey($0) }
            }
        }
        for length in [0, 7, 9] {
            #expect(throws: StorageError.self, "a \(length)-byte sequence") {
                try [UInt8](repeating: 0, count: length).withUnsafeBytes { _ = try RecordCodec.decodeSequence($0) }
            }
        }
    }

    @Test func sequenceRoundTrip() throws {
        for sequence in [UInt64(0), 1, 1 << 63, .max] {
            let bytes = RecordCodec.encodeSequence(sequence)
            #expect(bytes.count == 8)
            #expect(try bytes.withUnsafeBytes { try RecordCodec.decodeSequence($0) } == sequence)
        }
    }
}

@Suite struct AuditKeyAllocatorTests {
    @Test func sequencesCountUpAndSmallStepsBackKeepTheLastTime() {
        var keys = AuditKeyAllocator(lastSequence: 41, lastTime: .init(millisecondsSinceEpoch: 10_000))
        #expect(keys.next(for: .init(millisecondsSinceEpoch: 10_500)) == AuditCursor(time: .init(millisecondsSinceEpoch: 10_500), sequence: 42))
        // Stamped earlier than the previous event by less than the tolerance: stored at its time.
        #expect(keys.next(for: .init(millisecondsSinceEpoch: 10_000)) == AuditCursor(time: .init(millisecondsSinceEpoch: 10_500), sequence: 43))
        #expect(keys.next(for: .init(millisecondsSinceEpoch: 10_501)) == AuditCursor(time: .init(millisecondsSinceEpoch: 10_501), sequence: 44))
        // A real clock step back: the real time is kept.
        let stepped = Timestamp(millisecondsSinceEpoch: 10_501 - AuditKeyAllocator.maximumReorderMilliseconds - 1)
        #expect(keys.next(for: stepped) == AuditCursor(time: stepped, sequence: 45))
        #expect(keys.lastSequence == 45)
        #expect(keys.lastTime == stepped)

        var fresh = AuditKeyAllocator(lastSequence: 0, lastTime: nil)
        #expect(fresh.next(for: .init(millisecondsSinceEpoch: -3)) == AuditCursor(time: .init(millisecondsSinceEpoch: -3), sequence: 1))
    }
}
