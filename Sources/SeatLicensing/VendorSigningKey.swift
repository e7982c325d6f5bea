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
        self.key = try Ed25519KeyText.privateKey(armoured: pemText, header: Self.header, footer: Self.footer).get()
    }

    public var pemText: String { Ed25519KeyText.armoured(key, header: Self.header, footer: Self.footer) }

    public var publicKey: VendorPublicKey { VendorPublicKey(key: key.publicKey) }

    func signature(for message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: Data(message)))
    }
}
