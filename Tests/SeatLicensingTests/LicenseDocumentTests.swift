import Foundation
import SeatCore
@testable import SeatLicensing
import Testing

/// Parsing and checking license documents (formerly SeatServer's LicenseFileTests).
@Suite struct LicenseDocumentTests {
    @Test func parsesEveryField() throws {
        let entries = try LicenseDocument.parse(Data("""
            {"licenses": [
              {"key": "A", "tenant": "acme", "seats": 5, "tier": "pro", "features": {"x": "1"}, "expires": "2030-01-01T00:00:00Z",
               "issued": "2026-01-15T09:30:00.250Z", "serial": "S-1", "state": "suspended",
               "signature": {"key_id": "0a1b2c3d4e5f6789", "ed25519": "\(Data(repeating: 7, count: 64).base64EncodedString())"}},
              {"key": "B", "seats": 0}
            ]}
            """.utf8))
        #expect(entries == [
            LicenseEntry(
                key: "A", tenant: "acme", seats: 5, tier: "pro", features: ["x": "1"],
                expiresAt: Timestamp(millisecondsSinceEpoch: 1_893_456_000_000),
                issuedAt: Timestamp(millisecondsSinceEpoch: 1_768_469_400_250), serial: "S-1", state: .suspended,
                signature: LicenseSignature(keyID: "0a1b2c3d4e5f6789", bytes: Array(repeating: 7, count: 64))
            ),
            LicenseEntry(key: "B", tenant: "default", seats: 0),
        ])
    }

    @Test func encodingParsesBackToTheSameEntries() throws {
        let entries = [
            LicenseEntry(key: "A", tenant: "acme", seats: 5, tier: "pro", features: ["x": "1", "y": ""],
                         expiresAt: Timestamp(millisecondsSinceEpoch: 1_893_456_000_000),
                         issuedAt: Timestamp(millisecondsSinceEpoch: 1_768_469_400_250), serial: "S-1", state: .revoked,
                         signature: LicenseSignature(keyID: "0a1b2c3d4e5f6789", bytes: Array(0..<64))),
            LicenseEntry(key: "B", seats: 1),
        ]
        #expect(try LicenseDocument.parse(LicenseDocument.encode(entries)) == entries)
    }

    @Test(arguments: [
        (#"{"licenses": [{"key": "A", "seats": -1}]}"#, "licenses[0].seats must be 0...1000000"),
        (#"{"licenses": [{"key": "", "seats": 1}]}"#, "licenses[0].key"),
        (#"{"licenses": [{"key": "A", "seats": 1}, {"key": "A", "seats": 2}]}"#, "licenses[1].key"),
        (#"{"licenses": [{"key": "A", "seats": 1, "expires": "tomorrow"}]}"#, "licenses[0].expires"),
        (#"{"licenses": [{"key": "A", "seats": 1, "issued": "yesterday"}]}"#, "licenses[0].issued"),
        (#"{"licenses": [{"key": "A", "seats": 1, "state": "paused"}]}"#, "licenses[0].state"),
        (#"{"licenses": [{"key": "A", "seats": 1, "tenant": ""}]}"#, "licenses[0].tenant"),
        (#"{"licenses": [{"key": "A", "seats": 1, "serial": "\#(String(repeating: "s", count: 65))"}]}"#, "licenses[0].serial"),
        (#"{"licenses": [{"seats": 1}]}"#, "licenses[0].key"),
        (#"{"licenses": [{"key": "A", "seats": "many"}]}"#, "licenses[0].seats"),
        (#"{"licences": []}"#, "licenses"),
        (#"{"licenses": [{"key": "A", "seats": 1, "signature": {"ed25519": ""}}]}"#, "licenses[0].signature.key_id"),
        (#"{"licenses": [{"key": "A", "seats": 1, "signature": {"key_id": "0A1B2C3D4E5F6789", "ed25519": ""}}]}"#, "licenses[0].signature.key_id"),
        (#"{"licenses": [{"key": "A", "seats": 1, "signature": {"key_id": "0a1b2c3d4e5f6789", "ed25519": "not base64!"}}]}"#, "licenses[0].signature.ed25519"),
        (#"{"licenses": [{"key": "A", "seats": 1, "signature": {"key_id": "0a1b2c3d4e5f6789", "ed25519": "AAAA"}}]}"#, "licenses[0].signature.ed25519"),
    ])
    func rejectsInvalidDocumentsNamingTheField(json: String, field: String) {
        do {
            _ = try LicenseDocument.parse(Data(json.utf8))
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description.contains(field), "\(error)")
        }
    }
}
