import Crypto
import Foundation

/// A vendor's Ed25519 public key, as seatd is configured with it (`vendor_public_keys`)
/// and as `seatctl license keygen` writes it (`PREFIX.pub`): the base64 of the raw 32 bytes.
public struct VendorPublicKey: Sendable, Equatable, CustomStringConvertible {
    let key: Curve25519.Signing.PublicKey

    init(key: Curve25519.Signing.PublicKey) {
        self.key = key
    }

    /// Surrounding whitespace (a trailing newline in a .pub file) is ignored.
    public init(base64 text: String) throws(VendorKeyError) {
        guard let key = Ed25519KeyText.publicKey(base64: text) else {
            // Never echo the text: it may be a private key given by mistake.
            throw .malformedPublicKey(looksLikePrivateKey: text.contains("PRIVATE KEY"))
        }
        self.key = key
    }

    public var base64: String { key.rawRepresentation.base64EncodedString() }

    /// Names the key in signatures and messages: the first 8 bytes of SHA-256 of the raw
    /// public key, as 16 lowercase hex digits. Short enough to read, long enough that two
    /// keys of one vendor never collide by chance.
    public var keyID: String {
        SHA256.hash(data: key.rawRepresentation).prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    public var description: String { keyID }

    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        key.isValidSignature(Data(signature), for: Data(message))
    }

    static func isKeyID(_ text: String) -> Bool {
        text.utf8.count == 16 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    public static func == (lhs: VendorPublicKey, rhs: VendorPublicKey) -> Bool {
        lhs.key.rawRepresentation == rhs.key.rawRepresentation
    }
}

public enum VendorKeyError: Error, Equatable, CustomStringConvertible {
    case malformedPublicKey(looksLikePrivateKey: Bool)
    case malformedPrivateKey(String)

    public var description: String {
        switch self {
        case .malformedPublicKey(looksLikePrivateKey: true):
            "this is a private key, not a vendor public key: give the PREFIX.pub file (and keep the private key secret)"
        case .malformedPublicKey(looksLikePrivateKey: false):
            "not a vendor public key (expected the base64 of 32 raw Ed25519 bytes)"
        case .malformedPrivateKey(let reason):
            "not a vendor private key file: \(reason)"
        }
    }
}
