import SeatCore
import Testing

/// Deterministic generator for tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Returns a fixed script of values, then traps; records how many were drawn.
struct ScriptedGenerator: RandomNumberGenerator {
    var values: [UInt64]
    var drawn = 0
    mutating func next() -> UInt64 {
        defer { drawn += 1 }
        return values[drawn]
    }
}

@Suite("SessionToken")
struct SessionTokenTests {
    static let samples: [SessionToken] = [
        SessionToken(high: 0, low: 0),
        SessionToken(high: .max, low: .max),
        SessionToken(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210),
        SessionToken(high: 1, low: 0),
        SessionToken(high: 0, low: 1),
        SessionToken(high: 0x8000_0000_0000_0000, low: 0x0000_0000_0000_0080),
    ]

    @Test("hex is 32 lowercase digits, big-endian high then low")
    func hexLayout() {
        let token = SessionToken(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        #expect(token.hex == "0123456789abcdeffedcba9876543210")
        #expect(SessionToken(high: 0, low: 1).hex == "00000000000000000000000000000001")
        #expect(SessionToken(high: 1, low: 0).hex == "00000000000000010000000000000000")
        #expect(SessionToken(high: .max, low: .max).hex == String(repeating: "f", count: 32))
    }

    @Test("bytes are 16 big-endian bytes, high word first")
    func bytesLayout() {
        let token = SessionToken(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
        #expect(token.bytes == Array(1...16))
        #expect(SessionToken.byteCount == 16)
    }

    @Test("hex round trip", arguments: samples)
    func hexRoundTrip(token: SessionToken) throws {
        let hex = token.hex
        #expect(hex.utf8.count == 32)
        #expect(hex == hex.lowercased())
        let parsed = try #require(SessionToken(hex: hex))
        #expect(parsed == token)
        #expect(parsed.high == token.high && parsed.low == token.low)
        // Upper-case input is accepted too.
        #expect(SessionToken(hex: hex.uppercased()) == token)
    }

    @Test("bytes round trip", arguments: samples)
    func bytesRoundTrip(token: SessionToken) throws {
        let bytes = token.bytes
        #expect(bytes.count == 16)
        #expect(SessionToken(bytes: bytes) == token)
        // Any collection of bytes works, not just arrays.
        #expect(SessionToken(bytes: bytes[...]) == token)
        #expect(SessionToken(bytes: ArraySlice([0xFF] + bytes).dropFirst()) == token)
    }

    @Test("random tokens round trip through hex and bytes")
    func randomRoundTrips() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2_000 {
            let token = SessionToken(high: rng.next(), low: rng.next())
            #expect(SessionToken(hex: token.hex) == token)
            #expect(SessionToken(bytes: token.bytes) == token)
        }
    }

    @Test("mixed-case hex parses")
    func mixedCase() {
        #expect(SessionToken(hex: "0123456789ABCDEFfedcba9876543210") == SessionToken(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210))
    }

    @Test("invalid hex is rejected", arguments: [
        "",
        "0",
        String(repeating: "0", count: 31),
        String(repeating: "0", count: 33),
        String(repeating: "0", count: 64),
        "0123456789abcdeffedcba987654321g", // non-hex digit at the end
        "g123456789abcdeffedcba9876543210", // non-hex digit at the start
        "0123456789abcdef fedcba987654321", // space
        "0x23456789abcdeffedcba9876543210", // prefix
        "-123456789abcdeffedcba9876543210",
        "0123456789abcdef:edcba9876543210", // ':' is just after '9' in ASCII
        "0123456789abcdef@edcba9876543210", // '@' is just before 'A'
        "0123456789abcdef`edcba9876543210", // '`' is just before 'a'
        "0123456789abcdef/edcba9876543210", // '/' is just before '0'
        "0123456789abcdefGedcba9876543210", // 'G' is just after 'F'
        "0123456789abcdé0fedcba987654321",  // 31 characters, 32 UTF-8 bytes: length passes, the nibble check must not
        "0123456789abcdeffedcba98765432١٠", // Arabic-Indic digits are not hex digits
    ])
    func invalidHex(text: String) {
        #expect(SessionToken(hex: text) == nil)
    }

    @Test("a 32-character string with multibyte characters is rejected")
    func multibyteSameCharacterCount() {
        // 32 Characters, but more than 32 UTF-8 bytes.
        let text = String(repeating: "é", count: 32)
        #expect(text.count == 32)
        #expect(SessionToken(hex: text) == nil)
    }

    @Test("wrong byte counts are rejected", arguments: [0, 1, 8, 15, 17, 32])
    func invalidByteCount(count: Int) {
        #expect(SessionToken(bytes: [UInt8](repeating: 0xAB, count: count)) == nil)
    }

    @Test("description shows only a prefix, never the secret")
    func descriptionDoesNotLeak() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let token = SessionToken.random(using: &rng)
            let description = token.description
            let hex = token.hex
            #expect(description.hasPrefix(String(hex.prefix(8))))
            #expect(!description.contains(hex))
            #expect(!description.lowercased().contains(String(hex.suffix(24))))
            // At most 8 hex digits (32 bits) are revealed.
            #expect(description.filter(\.isHexDigit).count <= 8)
            #expect("\(token)" == description)
            #expect(String(describing: token) == description)
        }
    }

    @Test("random(using:) draws high then low from the generator")
    func randomUsesGenerator() {
        var generator = ScriptedGenerator(values: [0xDEAD_BEEF, 0xCAFE_F00D, 0x1234])
        let token = SessionToken.random(using: &generator)
        #expect(token == SessionToken(high: 0xDEAD_BEEF, low: 0xCAFE_F00D))
        #expect(generator.drawn == 2)
    }

    @Test("random(using:) with the same seed is reproducible, successive draws differ")
    func randomSeeded() {
        var a = SplitMix64(seed: 99)
        var b = SplitMix64(seed: 99)
        let first = SessionToken.random(using: &a)
        #expect(first == SessionToken.random(using: &b))
        var seen: Set<SessionToken> = [first]
        for _ in 0..<1_000 { seen.insert(SessionToken.random(using: &a)) }
        #expect(seen.count == 1_001)
    }

    @Test("system random tokens differ")
    func systemRandom() {
        var system = SystemRandomNumberGenerator()
        let tokens = (0..<64).map { _ in SessionToken.random(using: &system) }
        #expect(Set(tokens).count == 64)
    }

    @Test("equality and hashing use both words")
    func hashable() {
        let a = SessionToken(high: 1, low: 2)
        #expect(a == SessionToken(high: 1, low: 2))
        #expect(a != SessionToken(high: 2, low: 1))
        #expect(a != SessionToken(high: 1, low: 3))
        #expect(a != SessionToken(high: 0, low: 2))
        #expect(Set([a, SessionToken(high: 1, low: 2), SessionToken(high: 2, low: 1)]).count == 2)
    }
}
