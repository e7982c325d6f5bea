import SeatCore

/// What an offline lease says on this machine now.
public enum BorrowLeaseVerdict: Sendable, Equatable {
    /// Signed by the trusted key, for this machine, not expired: the seat may be used.
    case valid(BorrowLease)
    /// Genuine and for this machine, but its time is over.
    case expired(BorrowLease)
    /// Genuine, but for another machine (its hardware id).
    case wrongMachine(BorrowLease)
    /// Not signed by the trusted key, or changed after signing.
    case badSignature
    /// Not a lease this library can read (truncated, or a newer layout version).
    case unreadable(BorrowLeaseError)

    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }
}

/// Checks an offline lease without the server: pure, time and machine passed in.
public enum BorrowLeaseVerifier {
    /// The signature is checked before anything the lease says is believed; then the
    /// machine, then the time. A lease is valid until `expiresAt` (exclusive).
    public static func verify(_ bytes: [UInt8], trusting publicKey: BorrowPublicKey, now: Timestamp, hardwareID: String) -> BorrowLeaseVerdict {
        let decoded: (lease: BorrowLease, signature: [UInt8])
        do {
            decoded = try BorrowLease.decode(bytes)
        } catch {
            return .unreadable(error)
        }
        guard publicKey.isValidSignature(decoded.signature, for: Array(bytes.dropLast(BorrowLease.signatureByteCount))) else { return .badSignature }
        guard decoded.lease.hardwareID == hardwareID else { return .wrongMachine(decoded.lease) }
        guard now < decoded.lease.expiresAt else { return .expired(decoded.lease) }
        return .valid(decoded.lease)
    }
}
