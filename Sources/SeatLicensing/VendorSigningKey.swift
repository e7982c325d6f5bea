import Crypto
import Foundation

/// A vendor's Ed25519 private key. It never goes near a seatd site: the vendor keeps it
/// (`PREFIX.key`, mode 0600) and signs license documents with it.
///
/// File format (`pemText`): PEM-like armour around the base64 of the raw 32-byte key.
/// ```
/// -----BEGIN SEATD VENDOR PRIVATE KEY-----
/// <base64 of 32 bytes>
/// -----END SEATD VENDOR PRIVATE KEY-----
/// ```
public struct VendorSigningKey: Sendable {
    static let header = "-----BEGIN SEATD VENDOR PRIVATE KEY-----"
    static let footer = "-----END SEATD VENDOR PRIVATE KEY-----"

    let key: Curve25519.Signing.PrivateKey

    public static func generate() -> VendorSigningKey {
        VendorSigningKey(key: Curve25519.Signing.PrivateKey())
    }

    init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
    }

    public init(pemText: String) throws(VendorKeyError) {
        let lines = pemText.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard lines.first == Self.header, lines.last == Self.footer, lines.count >= 3 else {
            throw .malformedPrivateKey("expected \(Self.header) ... \(Self.footer)")
        }
        guard let raw = Data(base64Encoded: lines.dropFirst().dropLast().joined()), raw.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw .malformedPrivateKey("the body must be the base64 of 32 bytes")
        }
        self.key = key
    }

    public var pemText: String {
        "\(Self.header)\n\(key.rawRepresentation.base64EncodedString())\n\(Self.footer)\n"
    }

    public var publicKey: VendorPublicKey { VendorPublicKey(key: key.publicKey) }

    func signature(for message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: Data(message)))
    }
}
