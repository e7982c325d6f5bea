import Foundation
import SeatCore

/// The vendor side: completes and signs license entries with a `VendorSigningKey`.
public struct LicenseSigner: Sendable {
    public let key: VendorSigningKey

    public init(key: VendorSigningKey) {
        self.key = key
    }

    /// Signs every entry (replacing any earlier signature). An entry without an issue time
    /// gets `now` (whole seconds, so the JSON shows it exactly), and one without a serial
    /// gets a random one, before signing, because both are signed fields.
    public func sign(_ entries: [LicenseEntry], now: Timestamp) throws -> [LicenseEntry] {
        let issued = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - now.millisecondsSinceEpoch % 1000)
        return try entries.map { entry in
            var signed = entry
            signed.issuedAt = entry.issuedAt ?? issued
            signed.serial = entry.serial ?? Self.randomSerial()
            signed.signature = nil
            signed.signature = LicenseSignature(
                keyID: key.publicKey.keyID,
                bytes: try key.signature(for: CanonicalLicenseBytes.encode(signed))
            )
            return signed
        }
    }

    /// Parses `document`, signs every entry and returns the signed document.
    public func signDocument(_ document: Data, now: Timestamp) throws -> Data {
        LicenseDocument.encode(try sign(LicenseDocument.parse(document), now: now))
    }

    /// 16 random bytes as 32 hex digits: unique without a registry of issued serials.
    static func randomSerial() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }
}
