import Crypto
import Foundation

/// The seat server's Ed25519 key for offline leases (`borrow_signing_key_file`; generated
/// in the state directory on first start). It stays on the server; clients trust its
/// public key.
///
/// File format: the base64 of the raw 32-byte key between armour lines.
/// ```
/// -----BEGIN SEATD BORROW SIGNING KEY-----
/// <base64 of 32 bytes>
/// -----END SEATD BORROW SIGNING KEY-----
/// ```
public struct BorrowSigningKey: Sendable {
    static let header = "-----BEGIN SEATD BORROW SIGNING KEY-----"
    static let footer = "-----END SEATD BORROW SIGNING KEY-----"

    let key: Curve25519.Signing.PrivateKey

    public static func generate() -> BorrowSigningKey {
        BorrowSigningKey(key: Curve25519.Signing.PrivateKey())
    }

    init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
    }

    public init(pemText: String) throws(VendorKeyError) {
        self.key = try Ed25519KeyText.privateKey(armoured: pemText, header: Self.header, footer: Self.footer).get()
    }

    public var pemText: String { Ed25519KeyText.armoured(key, header: Self.header, footer: Self.footer) }

    public var publicKey: BorrowPublicKey { BorrowPublicKey(key: key.publicKey) }

    /// The signed lease bytes: `lease.unsignedBytes` followed by the signature.
    public func sign(_ lease: BorrowLease) throws -> [UInt8] {
        let unsigned = lease.unsignedBytes
        return unsigned + Array(try key.signature(for: Data(BorrowLease.domain + unsigned)))
    }
}

/// The public half of the server's borrow key, which clients are given to check offline
/// leases: the base64 of its raw 32 bytes (`seatctl borrow public-key`).
public struct BorrowPublicKey: Sendable, Equatable, CustomStringConvertible {
    let key: Curve25519.Signing.PublicKey

    init(key: Curve25519.Signing.PublicKey) {
        self.key = key
    }

    /// Surrounding whitespace (a trailing newline in a file) is ignored.
    public init(base64 text: String) throws(VendorKeyError) {
        guard let key = Ed25519KeyText.publicKey(base64: text) else {
            throw .malformedPublicKey(looksLikePrivateKey: text.contains("PRIVATE KEY") || text.contains("SIGNING KEY"))
        }
        self.key = key
    }

    public var base64: String { key.rawRepresentation.base64EncodedString() }

    public var description: String { base64 }

    func isValidSignature(_ signature: [UInt8], for unsigned: [UInt8]) -> Bool {
        key.isValidSignature(Data(signature), for: Data(BorrowLease.domain + unsigned))
    }

    public static func == (lhs: BorrowPublicKey, rhs: BorrowPublicKey) -> Bool {
        lhs.key.rawRepresentation == rhs.key.rawRepresentation
    }
}
