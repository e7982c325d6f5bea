import Foundation
import SeatCore
@testable import SeatLicensing

/// Fixed vendor keys, so failures reproduce and the known-answer test can pin a signature.
enum TestKeys {
    /// Raw private key bytes 0x01...0x20.
    static let vendor = try! VendorSigningKey(pemText: armoured(Data(1...32)))
    /// Raw private key bytes 0x21...0x40: "another vendor" (or the vendor's next key).
    static let other = try! VendorSigningKey(pemText: armoured(Data(33...64)))

    static func armoured(_ raw: Data) -> String {
        "-----BEGIN SEATD VENDOR PRIVATE KEY-----\n\(raw.base64EncodedString())\n-----END SEATD VENDOR PRIVATE KEY-----\n"
    }

    static let issued = Timestamp(millisecondsSinceEpoch: 1_768_469_400_000)

    static let sample = LicenseEntry(
        key: "ACME-CAD-5", tenant: "acme", seats: 5, tier: "professional", features: ["export": "step", "render": "gpu"],
        expiresAt: Timestamp(millisecondsSinceEpoch: 1_893_456_000_000)
    )
}
