import Foundation
import SeatCore
@testable import SeatLicensing
import Testing

/// The `overage` field: parsed and refused by value, signed in layout 2 (the terms), and
/// absent from the signed bytes of a license without it, so older signatures still hold.
@Suite struct LicenseOverageTests {
    let production = LicenseVerifier(trustedKeys: [TestKeys.vendor.publicKey], allowUnsigned: false)

    /// Layout 1's golden entry (CanonicalLicenseBytesTests) with an overage of 1.25x.
    @Test func goldenBytesOfLayoutTwo() {
        var entry = CanonicalLicenseBytesTests.goldenEntry
        entry.overage = .factor(thousandths: 1250)
        let expected = (
            ["73 65 61 74 64 2d 6c 69 63 65 6e 73 65 2d 76 32 00"]  // "seatd-license-v2\0"
                + CanonicalLicenseBytesTests.goldenFields           // key ... serial, as in layout 1
                + ["01", "01 02 00 00 04 e2"]                        // 1 term: overage, factor 1250 thousandths
        ).joined(separator: " ")
        #expect(hex(CanonicalLicenseBytes.encode(entry)) == expected)
    }

    @Test func aCountOverageIsKindOne() {
        var entry = LicenseEntry(key: "K", tenant: "t", seats: 1, overage: .seats(3))
        #expect(hex(CanonicalLicenseBytes.encode(entry)).hasSuffix("00 00 01 01 01 00 00 00 03"))
        entry.overage = .none
        #expect(Array(CanonicalLicenseBytes.encode(entry).prefix(17)) == CanonicalLicenseBytes.domain)
    }

    /// Made with Python's `cryptography` over the golden bytes (docs/license-files.md).
    @Test func externallyMadeLayoutTwoSignatureVerifiesAndItsOverageIsSigned() throws {
        let document = """
            {"licenses": [{"key": "K1", "tenant": "acme", "seats": 5, "overage": "1.25x", "tier": "pro", "features": {"b": "2", "a": "1"},
              "expires": "2030-01-01T00:00:00Z", "issued": "2026-01-15T09:30:00Z", "serial": "S-1",
              "signature": {"key_id": "65b60673d6ed884b",
                            "ed25519": "Vs0+09+IbK8rW8N3Qgg0pyRtuXaB7CaVUOx3TrPA4B1yRF+i4XRXtaRxiRFC/L0XTLIscH+6yIDYUic1vgAvCA=="}}]}
            """
        let licenses = try LicenseImport.verify(documentData: Data(document.utf8), verifier: production, origin: .file)
        #expect(licenses.map(\.overage) == [.factor(thousandths: 1250)])
        #expect(licenses.map(\.seatsAllowed) == [6])
        for edit in [#""overage": "1.5x""#, #""overage": "+1""#, #""overage": "none""#] {
            let edited = document.replacingOccurrences(of: #""overage": "1.25x""#, with: edit)
            #expect(throws: LicenseDocumentError.signatureMismatch(license: "K1", keyID: "65b60673d6ed884b")) {
                try LicenseImport.verify(documentData: Data(edited.utf8), verifier: production, origin: .file)
            }
        }
    }

    @Test func addingAnOverageToAnOldSignedLicenseFails() throws {
        var entry = try LicenseSigner(key: TestKeys.vendor).sign([TestKeys.sample], now: TestKeys.issued)[0]
        #expect(try production.license(from: entry, origin: .file).overage == .none)
        entry.overage = .seats(1)
        #expect(throws: LicenseDocumentError.signatureMismatch(license: "ACME-CAD-5", keyID: TestKeys.vendor.publicKey.keyID)) {
            try production.license(from: entry, origin: .file)
        }
    }

    @Test func signedOverageSurvivesTheJSONRoundTrip() throws {
        var entry = TestKeys.sample
        entry.overage = .seats(2)
        let signed = try LicenseSigner(key: TestKeys.vendor).signDocument(LicenseDocument.encode([entry]), now: TestKeys.issued)
        #expect(String(decoding: signed, as: UTF8.self).contains(#""overage" : "+2""#))
        let licenses = try LicenseImport.verify(documentData: signed, verifier: production, origin: .file)
        #expect(licenses.map(\.overage) == [.seats(2)])
    }

    @Test(arguments: ["0.5x", "1x", "1.0x", "10.001x", "1.2345x", "x", ".5x", "1.x", "+0", "+", "+1000001", "2", "-1", "lots", "1,5x"])
    func badOverageIsRefusedWithAClearMessage(text: String) {
        expectRefused(#"{"licenses": [{"key": "A", "seats": 10, "overage": "\#(text)"}]}"#,
                      "license file: licenses[0].overage '\(text)' is not an overage: expected none, "
                          + "+N (1...1000000 extra seats) or a factor such as 1.25x (above 1, at most 10, at most three decimals)")
    }
}
