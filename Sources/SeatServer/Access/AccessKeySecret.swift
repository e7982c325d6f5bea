import Crypto
import Foundation

/// The text a client presents: `seatd_<16 hex id>_<43 base64url secret>`. The id is
/// public; the 32 secret bytes come from the system CSPRNG and only their SHA-256 digest
/// is stored. A fast hash is enough: 256 random bits cannot be guessed offline.
struct AccessKeySecret: Sendable, Equatable {
    static let prefix = "seatd_"

    let id: String
    let secret: [UInt8]

    /// A new random key.
    static func generate() -> AccessKeySecret {
        var random = SystemRandomNumberGenerator()
        let idBytes = (0..<8).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        return AccessKeySecret(id: idBytes.map { String(format: "%02x", $0) }.joined(), secret: secret)
    }

    /// Parses presented text; `nil` when it is not in the key format.
    init?(parsing text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let parts = text.dropFirst(Self.prefix.count).split(separator: "_", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count == 16, parts[0].utf8.allSatisfy(Self.isLowerHex),
              let secret = Self.decodeBase64URL(parts[1]), secret.count == 32 else { return nil }
        self.init(id: String(parts[0]), secret: secret)
    }

    private init(id: String, secret: [UInt8]) {
        self.id = id
        self.secret = secret
    }

    /// What the client presents; shown once, when the key is created.
    var text: String {
        Self.prefix + id + "_" + Data(secret).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    var digest: [UInt8] { Array(SHA256.hash(data: secret)) }

    /// Whether `digest` (a stored one) is this secret's, compared in constant time.
    func matches(_ storedDigest: [UInt8]) -> Bool {
        let computed = digest
        guard computed.count == storedDigest.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(computed, storedDigest) { difference |= left ^ right }
        return difference == 0
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func decodeBase64URL(_ text: Substring) -> [UInt8]? {
        guard text.utf8.count == 43 else { return nil }
        let standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "="
        return Data(base64Encoded: standard).map(Array.init)
    }
}
