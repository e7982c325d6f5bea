import Foundation
import SeatCore
@testable import SeatLicensing
import Testing

/// The `seat_counting` field: term 2 of layout 2, absent (layout 1) for `session`.
@Suite struct LicenseSeatCountingTests {
    let production = LicenseVerifier(trustedKeys: [TestKeys.vendor.publicKey], allowUnsigned: false)

    @Test func userAndHostCountingAreTermTwo() {
        var entry = CanonicalLicenseBytesTests.goldenEntry
        entry.seatCounting = .user
        let user = hex(CanonicalLicenseBytes.encode(entry))
        #expect(user == (["73 65 61 74 64 2d 6c 69 63 65 6e 73 65 2d 76 32 00"] + CanonicalLicenseBytesTests.goldenFields + ["01", "02 01"]).joined(separator: " "))
        entry.seatCounting = .host
        entry.overage = .seats(2)
        #expect(hex(CanonicalLicenseBytes.encode(entry)).hasSuffix("00 03 53 2d 31 02 01 01 00 00 00 02 02 02"), "overage first, then counting")
        entry.seatCounting = .session
        entry.overage = .none
        #expect(Array(CanonicalLicenseBytes.encode(entry).prefix(17)) == CanonicalLicenseBytes.domain)
    }

    @Test func signedCountingSurvivesTheJSONRoundTripAndEditsFail() throws {
        var entry = TestKeys.sample
        entry.seatCounting = .host
        let signed = try LicenseSigner(key: TestKeys.vendor).signDocument(LicenseDocument.encode([entry]), now: TestKeys.issued)
        let text = String(decoding: signed, as: UTF8.self)
        #expect(text.contains(#""seat_counting" : "host""#))
        #expect(try LicenseImport.verify(documentData: signed, verifier: production, origin: .file).map(\.seatCounting) == [.host])
        for edit in [#""seat_counting" : "user""#, #""seat_counting" : "session""#] {
            let edited = text.replacingOccurrences(of: #""seat_counting" : "host""#, with: edit)
            #expect(throws: LicenseDocumentError.signatureMismatch(license: "ACME-CAD-5", keyID: TestKeys.vendor.publicKey.keyID)) {
                try LicenseImport.verify(documentData: Data(edited.utf8), verifier: production, origin: .file)
            }
        }
    }

    @Test(arguments: ["seat", "User", "", "hosts"])
    func badCountingIsRefusedWithAClearMessage(text: String) {
        expectRefused(#"{"licenses": [{"key": "A", "seats": 1, "seat_counting": "\#(text)"}]}"#,
                      "license file: licenses[0].seat_counting '\(text)' is not a seat counting: expected session, user or host")
    }
}
