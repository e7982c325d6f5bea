import Testing
@testable import SeatStorage

/// The log row's encoding of a batch: round trips, and refuses anything else as `.corrupt`.
@Suite struct ReplicationBatchCodingTests {
    static let batches: [ReplicationBatch] = [
        ReplicationBatch(sequence: 0, writes: []),
        ReplicationBatch(sequence: 1, writes: [ReplicatedWrite(database: "licenses", key: Array("LIC-1".utf8), value: [1, 2, 3])]),
        ReplicationBatch(sequence: .max, writes: [
            ReplicatedWrite(database: "sessions", key: Array(repeating: 0xAB, count: 16), value: nil),
            ReplicatedWrite(database: "ended_by_time", key: Array(repeating: 0, count: 24), value: []),
            ReplicatedWrite(database: "", key: [], value: nil),
            // Lengths of two LEB128 bytes.
            ReplicatedWrite(database: "テナント", key: Array(repeating: 7, count: 200), value: Array(repeating: 0xFF, count: 300)),
        ]),
    ]

    @Test(arguments: batches)
    func roundTrip(_ batch: ReplicationBatch) throws {
        #expect(try ReplicationBatch(decoding: batch.encoded()) == batch)
    }

    @Test func largeRecordsRoundTrip() throws {
        let batch = ReplicationBatch(sequence: 42, writes: (0..<100).map { number in
            ReplicatedWrite(database: "audit", key: Array(repeating: UInt8(number), count: 511), value: Array(repeating: 0xEE, count: 70_000))
        })
        #expect(try ReplicationBatch(decoding: batch.encoded()) == batch)
    }

    /// Pins the format of the log row.
    @Test func goldenBytes() {
        let batch = ReplicationBatch(sequence: 258, writes: [
            ReplicatedWrite(database: "meta", key: [0x6B], value: [9, 8]),
            ReplicatedWrite(database: "ab", key: [1, 2], value: nil),
        ])
        #expect(batch.encoded() == [
            1,
            0, 0, 0, 0, 0, 0, 0x01, 0x02,
            2,
            4, 0x6D, 0x65, 0x74, 0x61, 1, 0x6B, 1, 2, 9, 8,
            2, 0x61, 0x62, 2, 1, 2, 0,
        ])
    }

    @Test func everyTruncationIsCorrupt() throws {
        for batch in Self.batches {
            let bytes = batch.encoded()
            for length in 0..<bytes.count {
                try expectCorrupt(Array(bytes[..<length]))
            }
        }
    }

    @Test func trailingBytesAreCorrupt() throws {
        try expectCorrupt(Self.batches[1].encoded() + [0])
    }

    @Test func anotherVersionIsCorrupt() throws {
        for version in [0, 2, 0xFF] as [UInt8] {
            var bytes = Self.batches[1].encoded()
            bytes[0] = version
            try expectCorrupt(bytes)
        }
    }

    @Test func badValueFlagIsCorrupt() throws {
        var bytes = ReplicationBatch(sequence: 1, writes: [ReplicatedWrite(database: "a", key: [1], value: nil)]).encoded()
        bytes[bytes.count - 1] = 2
        try expectCorrupt(bytes)
    }

    /// Lengths and counts far beyond the row are refused before anything is allocated.
    @Test func absurdLengthsAreCorrupt() throws {
        let header: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 1]
        // 2^32 - 1 writes in a row of a few bytes.
        try expectCorrupt(header.dropLast() + [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0, 0])
        // A count over 32 bits.
        try expectCorrupt(header.dropLast() + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        // A key of 2^32 - 1 bytes.
        try expectCorrupt(header + [1, 0x61, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0])
        // A value of 2^32 - 1 bytes.
        try expectCorrupt(header + [1, 0x61, 1, 0x6B, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        // A database name that is not UTF-8.
        try expectCorrupt(header + [2, 0xC3, 0x28, 1, 0x6B, 0])
    }

    private func expectCorrupt(_ bytes: [UInt8]) throws {
        do {
            let decoded = try ReplicationBatch(decoding: bytes)
            Issue.record("decoded \(decoded) from \(bytes.count) bytes")
        } catch {
            guard case .corrupt = error else {
                Issue.record("expected .corrupt, got \(error)")
                return
            }
        }
    }
}
