import Foundation
import SeatCore
@testable import SeatLicensing
import Testing

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

/// Bytes as the docs show them: lowercase hex pairs separated by spaces.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}

/// `json` is refused with exactly `message`.
func expectRefused(_ json: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try LicenseDocument.parse(Data(json.utf8))
        Issue.record("accepted \(json)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.description == message, sourceLocation: sourceLocation)
    }
}
