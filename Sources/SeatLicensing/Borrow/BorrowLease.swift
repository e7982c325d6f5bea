import SeatCore

/// An offline lease: the seat server's signed statement that a user on one machine holds
/// a borrowed seat of a license until `expiresAt`. The client keeps it in a file and checks
/// it without the server (`BorrowLeaseVerifier`).
///
/// Signed bytes (protocol-spec.md, "Offline lease"); integers big-endian, a *string* is a
/// UInt16 byte count and that many bytes of UTF-8:
///
/// | offset | field      | encoding |
/// |-------:|------------|----------|
/// | 0      | version    | UInt8, 1 |
/// | 1      | leaseID    | UInt64 |
/// | 9      | issuedAt   | UInt64 milliseconds since the Unix epoch |
/// | 17     | expiresAt  | UInt64 milliseconds since the Unix epoch |
/// | 25     | licenseKey | string |
/// | —      | tenant     | string |
/// | —      | user       | string |
/// | —      | hardwareID | string |
/// | —      | signature  | 64 bytes: Ed25519 over `domain` followed by every byte before it |
public struct BorrowLease: Sendable, Equatable {
    public static let version: UInt8 = 1
    /// Keeps a lease signature from being valid for any other message the key might sign.
    public static let domain: [UInt8] = Array("seatd-borrow-lease-v1".utf8) + [0]
    public static let signatureByteCount = 64

    public var leaseID: UInt64
    public var licenseKey: String
    public var tenant: String
    public var user: String
    public var hardwareID: String
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp

    public init(leaseID: UInt64, licenseKey: String, tenant: String, user: String, hardwareID: String, issuedAt: Timestamp, expiresAt: Timestamp) {
        self.leaseID = leaseID
        self.licenseKey = licenseKey
        self.tenant = tenant
        self.user = user
        self.hardwareID = hardwareID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    /// The lease of a borrowed session (`session.isBorrowed`).
    public init(_ session: Session, tenant: String) {
        self.init(
            leaseID: session.borrowLeaseID ?? 0, licenseKey: session.licenseKey, tenant: tenant, user: session.user,
            hardwareID: session.hardwareID, issuedAt: session.createdAt, expiresAt: session.leaseExpiresAt)
    }

    /// How people and logs name a lease: its id as 16 lowercase hex digits.
    public static func idText(_ leaseID: UInt64) -> String {
        let hex = String(leaseID, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The bytes before the signature. Strings longer than 65,535 bytes cannot occur: the
    /// wire limits every field far below that.
    public var unsignedBytes: [UInt8] {
        var bytes = [Self.version]
        CanonicalLicenseBytes.append(leaseID, to: &bytes)
        CanonicalLicenseBytes.append(UInt64(bitPattern: issuedAt.millisecondsSinceEpoch), to: &bytes)
        CanonicalLicenseBytes.append(UInt64(bitPattern: expiresAt.millisecondsSinceEpoch), to: &bytes)
        for field in [licenseKey, tenant, user, hardwareID] {
            CanonicalLicenseBytes.append(field, to: &bytes)
        }
        return bytes
    }

    /// Reads signed lease bytes: the lease and the signature, not yet checked.
    public static func decode(_ bytes: [UInt8]) throws(BorrowLeaseError) -> (lease: BorrowLease, signature: [UInt8]) {
        var reader = LeaseReader(bytes: bytes)
        let version = try reader.uint8()
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let leaseID = try reader.uint64()
        let issuedAt = try reader.timestamp()
        let expiresAt = try reader.timestamp()
        let lease = BorrowLease(
            leaseID: leaseID, licenseKey: try reader.string(), tenant: try reader.string(), user: try reader.string(),
            hardwareID: try reader.string(), issuedAt: issuedAt, expiresAt: expiresAt)
        let signature = try reader.rest()
        guard signature.count == signatureByteCount else {
            throw .malformed("the signature has \(signature.count) bytes, not \(signatureByteCount)")
        }
        return (lease, signature)
    }
}

public enum BorrowLeaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A layout version this library does not know (a newer server's lease).
    case unsupportedVersion(UInt8)
    case malformed(String)

    public var description: String {
        switch self {
        case .unsupportedVersion(let version): "offline lease version \(version) is not known to this client (it reads version \(BorrowLease.version))"
        case .malformed(let reason): "not an offline lease: \(reason)"
        }
    }
}

private struct LeaseReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func take(_ count: Int) throws(BorrowLeaseError) -> ArraySlice<UInt8> {
        guard count <= bytes.count - offset else { throw .malformed("truncated at byte \(offset)") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func uint8() throws(BorrowLeaseError) -> UInt8 { try take(1).first! }

    mutating func uint64() throws(BorrowLeaseError) -> UInt64 {
        try take(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func timestamp() throws(BorrowLeaseError) -> Timestamp {
        let value = try uint64()
        guard value <= UInt64(Int64.max) else { throw .malformed("a time above 2^63 - 1") }
        return Timestamp(millisecondsSinceEpoch: Int64(value))
    }

    mutating func string() throws(BorrowLeaseError) -> String {
        let count = try take(2).reduce(0) { $0 << 8 | Int($1) }
        guard let text = String(validating: try take(count), as: UTF8.self) else { throw .malformed("a string is not UTF-8") }
        return text
    }

    mutating func rest() throws(BorrowLeaseError) -> [UInt8] { Array(try take(bytes.count - offset)) }
}
