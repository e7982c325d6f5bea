import Foundation
import SeatCore
@testable import SeatLicensing
import Testing

/// The signed bytes are a compatibility promise: a license signed today must verify with
/// every later seatd. This pins them (the layout is in docs/license-files.md).
@Suite struct CanonicalLicenseBytesTests {
    static let goldenEntry = LicenseEntry(
        key: "K1", tenant: "acme", seats: 5, tier: "pro", features: ["b": "2", "a": "1"],
        expiresAt: Timestamp(millisecondsSinceEpoch: 1_893_456_000_000),
        issuedAt: Timestamp(millisecondsSinceEpoch: 1_768_469_400_000), serial: "S-1",
        state: .suspended, signature: LicenseSignature(keyID: "0a1b2c3d4e5f6789", bytes: Array(repeating: 1, count: 64))
    )

    /// The golden entry's fields after the domain, the same in both layouts.
    static let goldenFields = [
        "00 02 4b 31",                                         // key "K1"
        "00 04 61 63 6d 65",                                   // tenant "acme"
        "00 00 00 05",                                         // seats 5
        "00 03 70 72 6f",                                      // tier "pro"
        "00 02 00 01 61 00 01 31 00 01 62 00 01 32",           // 2 features: a=1, b=2
        "01 00 00 01 b8 da c5 b4 00",                          // expires 1893456000000 ms
        "01 00 00 01 9b c0 fd 89 c0",                          // issued 1768469400000 ms
        "00 03 53 2d 31",                                      // serial "S-1"
    ]

    @Test func goldenBytes() {
        let expected = (["73 65 61 74 64 2d 6c 69 63 65 6e 73 65 2d 76 31 00"] + Self.goldenFields).joined(separator: " ")  // "seatd-license-v1\0"
        #expect(hex(CanonicalLicenseBytes.encode(Self.goldenEntry)) == expected)
    }

    @Test func absentExpiryIssueTimeAndSerialAreEncodedAsAbsent() {
        let bytes = CanonicalLicenseBytes.encode(LicenseEntry(key: "K", tenant: "t", seats: 1))
        #expect(hex(bytes) == hex(CanonicalLicenseBytes.domain) + " 00 01 4b 00 01 74 00 00 00 01 00 00 00 00 00 00 00 00")
    }

    @Test func stateAndSignatureAreNotSigned() {
        let plain = LicenseEntry(key: "K", seats: 1)
        var changed = plain
        changed.state = .revoked
        changed.signature = LicenseSignature(keyID: "0a1b2c3d4e5f6789", bytes: Array(repeating: 9, count: 64))
        #expect(CanonicalLicenseBytes.encode(plain) == CanonicalLicenseBytes.encode(changed))
    }
}

/// A signature made outside seatd (Python's `cryptography` signing the golden bytes above
/// with TestKeys.vendor) verifies: the canonical bytes and Ed25519 agree with an
/// independent implementation, as a vendor's own tooling would need.
@Suite struct KnownAnswerSignatureTests {
    @Test func externallyMadeSignatureVerifies() throws {
        let document = """
            {"licenses": [{"key": "K1", "tenant": "acme", "seats": 5, "tier": "pro", "features": {"b": "2", "a": "1"},
              "expires": "2030-01-01T00:00:00Z", "issued": "2026-01-15T09:30:00Z", "serial": "S-1",
              "signature": {"key_id": "65b60673d6ed884b",
                            "ed25519": "esez3qBtwFsOWPKekv6QpqWKMy3WMIXC4o5WOPHyr2OweO+q5FEX2D1YFjfdX76EMnQfRdlGUsBa4rEZNUgyDA=="}}]}
            """
        let verifier = LicenseVerifier(trustedKeys: [TestKeys.vendor.publicKey], allowUnsigned: false)
        let licenses = try LicenseImport.verify(documentData: Data(document.utf8), verifier: verifier, origin: .file)
        #expect(licenses.map(\.provenance.signingKeyID) == ["65b60673d6ed884b"])
        let edited = document.replacingOccurrences(of: "\"seats\": 5", with: "\"seats\": 6")
        #expect(throws: LicenseDocumentError.signatureMismatch(license: "K1", keyID: "65b60673d6ed884b")) {
            try LicenseImport.verify(documentData: Data(edited.utf8), verifier: verifier, origin: .file)
        }
    }
}
