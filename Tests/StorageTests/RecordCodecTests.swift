import SeatCore
import Testing
@testable import SeatStorage

@Suite struct RecordCodecTests {
    static let licenses: [License] = [
        License(key: "LIC-1", seats: 10),
        License(key: "ライセンス-🎫-ключ", seats: 3, tier: "Ünïcode tier ✓",
                features: ["é": "ü", "🎨": "render", "": "empty key", "plain": ""],
                expiresAt: Timestamp(millisecondsSinceEpoch: 1_900_000_000_123), state: .suspended),
        License(key: "k", seats: 0, tier: "", features: [:], expiresAt: nil, state: .revoked),
        License(key: "neg", seats: Int(Int32.max) + 7, features: ["long": String(repeating: "x", count: 200)],
                expiresAt: Timestamp(millisecondsSinceEpoch: -5), state: .active),
        License(key: "SIGNED", tenant: "acme", seats: 5, provenance: LicenseProvenance(
            serial: "S-0001", issuedAt: Timestamp(millisecondsSinceEpoch: 1_800_000_000_000), signingKeyID: "0123abcd", origin: .admin)),
        License(key: "OVER-N", seats: 10, overage: .seats(3)),
        License(key: "OVER-X", seats: 10, overage: .factor(thousandths: 1250)),
        License(key: "PER-USER", seats: 3, seatCounting: .user),
        License(key: "PER-HOST", seats: 3, overage: .seats(1), seatCounting: .host),
    ]

    @Test(arguments: licenses)
    func licenseRoundTrip(_ license: License) throws {
        let bytes = RecordCodec.encode(license)
        #expect(bytes.first == RecordCodec.licenseRecordVersion)
        let decoded = try bytes.withUnsafeBytes { try RecordCodec.decodeLicense($0) }
        #expect(decoded == license)
    }

    /// Pins the on-disk format, including the feature order (sorted by key).
    @Test func licenseGoldenBytes() {
        let license = License(key: "AB", seats: 2, tier: "t", features: ["b": "2", "a": "1"],
                              expiresAt: Timestamp(millisecondsSinceEpoch: 258), state: .revoked)
        let expected: [UInt8] = [
            3, 2, 0x41, 0x42, 7, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6C, 0x74, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0x74,
            2, 1, 0x61, 1, 0x31, 1, 0x62, 1, 0x32,
            1, 0, 0, 0, 0, 0, 0, 1, 2,
            2,
            0, 0, 0, 0,
            0,  // overage none
            0,  // session counting
        ]
        #expect(RecordCodec.encode(license) == expected)
        var terms = license
        terms.overage = .factor(thousandths: 1500)
        terms.seatCounting = .host
        #expect(RecordCodec.encode(terms) == [3] + expected.dropFirst().dropLast(2) + [2, 0, 0, 0, 0, 0, 0, 0x05, 0xDC, 2])
    }

    /// Stores written before overage existed keep working: a version 2 record reads as no overage.
    @Test func licenseVersion2RecordStillDecodes() throws {
        let version2: [UInt8] = [
            2, 2, 0x41, 0x42, 7, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6C, 0x74, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0x74,
            2, 1, 0x61, 1, 0x31, 1, 0x62, 1, 0x32,
            1, 0, 0, 0, 0, 0, 0, 1, 2,
            2,
            0, 0, 0, 0,
        ]
        let decoded = try version2.withUnsafeBytes { try RecordCodec.decodeLicense($0) }
        #expect(decoded == License(key: "AB", seats: 2, tier: "t", features: ["b": "2", "a": "1"],
                                   expiresAt: Timestamp(millisecondsSinceEpoch: 258), state: .revoked))
    }

    @Test func anOverageOutOfRangeIsCorrupt() throws {
        var bytes = RecordCodec.encode(License(key: "AB", seats: 1, overage: .factor(thousandths: 1250)))
        bytes[bytes.count - 2] = 0xFF  // 1279 thousandths: fine
        #expect(try bytes.withUnsafeBytes { try RecordCodec.decodeLicense($0) }.overage == .factor(thousandths: 1279))
        var badCounting = bytes
        badCounting[badCounting.count - 1] = 3
        try expectCorrupt { try decode("license", badCounting) }
        bytes[bytes.count - 4] = 0x7F  // far above 10x
        try expectCorrupt { try decode("license", bytes) }
    }

    /// Stores written before tenants existed keep working: a version 1 record reads as
    /// the default tenant, unsigned, from the licenses file.
    @Test func licenseVersion1RecordStillDecodes() throws {
        let version1: [UInt8] = [
            1, 2, 0x41, 0x42, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0x74,
            2, 1, 0x61, 1, 0x31, 1, 0x62, 1, 0x32,
            1, 0, 0, 0, 0, 0, 0, 1, 2,
            2,
        ]
        let decoded = try version1.withUnsafeBytes { try RecordCodec.decodeLicense($0) }
        #expect(decoded == License(key: "AB", seats: 2, tier: "t", features: ["b": "2", "a": "1"],
                                   expiresAt: Timestamp(millisecondsSinceEpoch: 258), state: .revoked))
    }

    @Test func sessionRoundTrip() throws {
        var unicode = session(7)
        unicode.user = "Zoë 山田"
        unicode.hostname = "wörkstation-🖥"
        unicode.clientAddress = ""
        unicode.clientVersion = String(repeating: "v", count: 20_000)  // a three-byte length prefix
        unicode.leaseExpiresAt = Timestamp(millisecondsSinceEpoch: .max)
        unicode.accessKeyID = "3f9a0c1d2e4b5a69"
        for original in [session(1), unicode] {
            let bytes = RecordCodec.encode(original)
            let decoded = try bytes.withUnsafeBytes { try RecordCodec.decodeSession(token: original.token, $0) }
            #expect(decoded == original)
        }
    }

    /// Every role survives the store, as the code it was first given (stored: never renumbered).
    @Test func accessKeysOfEveryRoleRoundTrip() throws {
        for (role, code) in [(AccessRole.client, UInt8(0)), (.admin, 1), (.viewer, 2)] {
            let key = AccessKey(
                id: "3f9a0c1d2e4b5a69", tenant: role == .admin ? nil : "acme", role: role, secretDigest: Array(repeating: 7, count: 32), label: "l",
                createdAt: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000))
            let bytes = RecordCodec.encode(key)
            #expect(bytes[1 + 1 + 16 + 1 + (key.tenant?.utf8.count ?? 0)] == code, "\(role)")
            #expect(try bytes.withUnsafeBytes { try RecordCodec.decodeAccessKey($0) } == key)
        }
    }

    /// Sessions stored before access keys were part of the holder read as keyless.
    @Test func aVersion1SessionRecordReadsWithoutAnAccessKey() throws {
        var original = session(5)
        original.accessKeyID = "3f9a0c1d2e4b5a69"
        var bytes = RecordCodec.encode(original)
        // Version 1: the same layout without the trailing access key id (a one-byte length +
        // 16 bytes) and borrow flag (one byte, 0).
        bytes[0] = 1
        bytes.removeLast(1 + 16 + 1)
        let decoded = try bytes.withUnsafeBytes { try RecordCodec.decodeSession(token: original.token, $0) }
        var expected = original
        expected.accessKeyID = ""
        #expect(decoded == expected)
        // A heartbeat can still patch its lease in place.
        let refreshed = try bytes.withUnsafeBytes {
            try RecordCodec.refreshingLease($0, lastHeartbeatAt: Timestamp(millisecondsSinceEpoch: 1), leaseExpiresAt: Timestamp(millisecondsSinceEpoch: 2))
        }
        #expect(try refreshed.withUnsafeBytes { try RecordCodec.decodeSession(token: original.token, $0) }.leaseExpiresAt == Timestamp(millisecondsSinceEpoch: 2))
    }

    @Test func aBorrowedSessionRoundTripsWithItsLeaseID() throws {
        var borrowed = session(9)
        borrowed.borrowLeaseID = 0xfedc_ba98_7654_3210
        let bytes = RecordCodec.encode(borrowed)
        #expect(bytes.first == 3)
        #expect(Array(bytes.suffix(9)) == [1, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10])
        #expect(try bytes.withUnsafeBytes { try RecordCodec.decodeSession(token: borrowed.token, $0) } == borrowed)
    }

    /// Sessions stored before borrowing (version 2) read as not borrowed.
    @Test func aVersion2SessionRecordReadsAsNotBorrowed() throws {
        var original = session(6)
        original.accessKeyID = "3f9a0c1d2e4b5a69"
        var bytes = RecordCodec.encode(original)
        bytes[0] = 2
        bytes.removeLast(1)
        let decoded = try bytes.withUnsafeBytes { try RecordCodec.decodeSession(token: original.token, $0) }
        #expect(decoded == original)
        #expect(!decoded.isBorrowed)
        var badFlag = RecordCodec.encode(original)
        badFlag[badFlag.count - 1] = 2
        #expect(throws: StorageError.self) { try badFlag.withUnsafeBytes { try RecordCodec.decodeSession(token: original.token, $0) } }
    }

    @Test func refreshingLeaseChangesOnlyTheLeaseTimes() throws {
        let original = session(3)
        let refreshed = try RecordCodec.encode(original).withUnsafeBytes {
            try RecordCodec.refreshingLease($0, lastHeartbeatAt: Timestamp(millisecondsSinceEpoch: 42),
                                           leaseExpiresAt: Timestamp(millisecondsSinceEpoch: 4242))
        }
        let decoded = try refreshed.withUnsafeBytes { try RecordCodec.decodeSession(token: original.token, $0) }
        var expected = original
        expected.lastHeartbeatAt = Timestamp(millisecondsSinceEpoch: 42)
        expected.leaseExpiresAt = Timestamp(millisecondsSinceEpoch: 4242)
        #expect(decoded == expected)
    }

    @Test(arguments: SessionEnd.allCases)
    func endedSessionRoundTrip(_ end: SessionEnd) throws {
        let original = ended(9, at: 1_700_000_000_999, end: end, license: "Лицензия")
        let decoded = try RecordCodec.encode(original).withUnsafeBytes {
            try RecordCodec.decodeEndedSession(token: original.token, $0)
        }
        #expect(decoded == original)
    }

    @Test func tokenKeysRoundTrip() throws {
        let original = token(12345)
        let key = RecordCodec.withTokenKey(original) { Array($0) }
        #expect(key == original.bytes)
        #expect(try key.withUnsafeBytes { try RecordCodec.decodeToken($0) } == original)
    }

    /// LMDB compares keys as bytes: the time index must sort by time, negatives first.
    @Test func endedByTimeKeysSortByTime() throws {
        let times: [Int64] = [.min, -1_000, -1, 0, 1, 255, 256, 1_700_000_000_000, .max]
        let keys = times.map { time in
            RecordCodec.withEndedByTimeKey(endedAt: Timestamp(millisecondsSinceEpoch: time), token: token(1)) { Array($0) }
        }
        #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
        for (time, key) in zip(times, keys) {
            let decoded = try key.withUnsafeBytes { try RecordCodec.decodeEndedByTimeKey($0) }
            #expect(decoded.endedAt.millisecondsSinceEpoch == time)
            #expect(decoded.token == token(1))
        }
    }

    @Test func everyTruncationIsRejected() {
        let records: [(String, [UInt8])] = [
            ("license", RecordCodec.encode(Self.licenses[1])),
            ("session", RecordCodec.encode(session(1))),
            ("ended", RecordCodec.encode(ended(1, at: 5))),
        ]
        for (kind, bytes) in records {
            for length in 0..<bytes.count {
                let prefix = Array(bytes[..<length])
                #expect(throws: StorageError.self, "\(kind) cut at \(length)") { try decode(kind, prefix) }
            }
            #expect(throws: StorageError.self, "\(kind) with a trailing byte") { try decode(kind, bytes + [0]) }
            var future = bytes
            future[0] = 9
            #expect(throws: StorageError.self, "\(kind) with an unknown version") { try decode(kind, future) }
        }
    }

    @Test func invalidFieldsAreRejected() throws {
        // Invalid UTF-8 in the license key (0xFF is never valid).
        var badUTF8 = RecordCodec.encode(License(key: "AB", seats: 1))
        badUTF8[2] = 0xFF
        try expectCorrupt { try decode("license", badUTF8) }

        var badState = RecordCodec.encode(License(key: "AB", seats: 1, state: .active))
        badState[badState.count - 1] = 9
        try expectCorrupt { try decode("license", badState) }

        var badExpiryFlag = RecordCodec.encode(License(key: "AB", seats: 1))
        badExpiryFlag[badExpiryFlag.count - 2] = 7
        try expectCorrupt { try decode("license", badExpiryFlag) }

        var badEnd = RecordCodec.encode(ended(1, at: 5))
        badEnd[1] = 0
        try expectCorrupt { try decode("ended", badEnd) }

        // A length prefix that never ends.
        try expectCorrupt { try decode("license", [1] + Array(repeating: 0xFF, count: 8)) }

        try expectCorrupt { try [UInt8](repeating: 0, count: 15).withUnsafeBytes { _ = try RecordCodec.decodeToken($0) } }
        try expectCorrupt {
            try [UInt8](repeating: 1, count: 4).withUnsafeBytes {
                _ = try RecordCodec.refreshingLease($0, lastHeartbeatAt: .init(millisecondsSinceEpoch: 0),
                                                    leaseExpiresAt: .init(millisecondsSinceEpoch: 0))
            }
        }
    }

    private func decode(_ kind: String, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            switch kind {
            case "license": _ = try RecordCodec.decodeLicense(buffer)
            case "session": _ = try RecordCodec.decodeSession(token: token(1), buffer)
            default: _ = try RecordCodec.decodeEndedSession(token: token(1), buffer)
            }
        }
    }

    private func expectCorrupt(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let error = #expect(throws: StorageError.self, sourceLocation: sourceLocation) { try body() }
        guard case .corrupt = try #require(error, sourceLocation: sourceLocation) else {
            Issue.record("expected .corrupt, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
    }
}
