import Foundation
import SeatCore
@testable import SeatLicensing
import Testing

@Suite struct LicenseVerifierTests {
    let production = LicenseVerifier(trustedKeys: [TestKeys.vendor.publicKey], allowUnsigned: false)

    func signed(_ entry: LicenseEntry = TestKeys.sample, with key: VendorSigningKey = TestKeys.vendor) throws -> LicenseEntry {
        try LicenseSigner(key: key).sign([entry], now: TestKeys.issued.adding(milliseconds: 345))[0]
    }

    @Test func signedLicenseVerifiesWithItsProvenance() throws {
        let entry = try signed()
        #expect(entry.issuedAt == TestKeys.issued, "the issue time is now, in whole seconds")
        #expect(entry.serial?.utf8.count == 32)
        let license = try production.license(from: entry, origin: .admin)
        #expect(license == License(
            key: "ACME-CAD-5", tenant: "acme", seats: 5, tier: "professional", features: ["export": "step", "render": "gpu"],
            expiresAt: Timestamp(millisecondsSinceEpoch: 1_893_456_000_000), state: .active,
            provenance: LicenseProvenance(serial: entry.serial!, issuedAt: TestKeys.issued, signingKeyID: TestKeys.vendor.publicKey.keyID, origin: .admin)
        ))
    }

    @Test func signerKeepsAGivenIssueTimeAndSerial() throws {
        var entry = TestKeys.sample
        entry.issuedAt = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        entry.serial = "INV-2026-0042"
        let signed = try signed(entry)
        #expect(signed.issuedAt == entry.issuedAt)
        #expect(signed.serial == "INV-2026-0042")
        #expect(try production.license(from: signed, origin: .file).provenance.serial == "INV-2026-0042")
    }

    @Test func signedDocumentSurvivesTheJSONRoundTrip() throws {
        let document = LicenseDocument.encode([TestKeys.sample, LicenseEntry(key: "B", seats: 1, state: .suspended)])
        let signed = try LicenseSigner(key: TestKeys.vendor).signDocument(document, now: TestKeys.issued)
        let licenses = try LicenseImport.verify(documentData: signed, verifier: production, origin: .file)
        #expect(licenses.map(\.key) == ["ACME-CAD-5", "B"])
        #expect(licenses[1].state == .suspended)
        #expect(licenses.allSatisfy { $0.provenance.signingKeyID == TestKeys.vendor.publicKey.keyID && $0.provenance.origin == .file })
    }

    static let edits: [(String, @Sendable (inout LicenseEntry) -> Void)] = [
        ("key", { $0.key = "ACME-CAD-6" }),
        ("tenant", { $0.tenant = "globex" }),
        ("seats", { $0.seats = 50 }),
        ("tier", { $0.tier = "enterprise" }),
        ("feature value", { $0.features["render"] = "cpu" }),
        ("feature added", { $0.features["extra"] = "1" }),
        ("feature removed", { $0.features["export"] = nil }),
        ("expiry moved", { $0.expiresAt = $0.expiresAt?.adding(milliseconds: 86_400_000) }),
        ("expiry removed", { $0.expiresAt = nil }),
        ("issue time", { $0.issuedAt = $0.issuedAt?.adding(milliseconds: 1000) }),
        ("serial", { $0.serial = "another" }),
        ("overage added", { $0.overage = .seats(1) }),
        ("seat counting", { $0.seatCounting = .user }),
    ]

    @Test(arguments: edits.map(\.0))
    func editingASignedFieldIsRejected(field: String) throws {
        var entry = try signed()
        Self.edits.first { $0.0 == field }!.1(&entry)
        #expect(throws: LicenseDocumentError.signatureMismatch(license: entry.key, keyID: TestKeys.vendor.publicKey.keyID)) {
            try production.license(from: entry, origin: .file)
        }
    }

    @Test func editedSeatsInTheJSONTextAreRejectedWithAClearMessage() throws {
        let signed = try LicenseSigner(key: TestKeys.vendor).signDocument(LicenseDocument.encode([TestKeys.sample]), now: TestKeys.issued)
        let edited = String(decoding: signed, as: UTF8.self).replacingOccurrences(of: "\"seats\" : 5", with: "\"seats\" : 500")
        #expect(edited != String(decoding: signed, as: UTF8.self))
        do {
            _ = try LicenseImport.verify(documentData: Data(edited.utf8), verifier: production, origin: .file)
            Issue.record("an edited seat count was accepted")
        } catch {
            #expect(error.description == "license ACME-CAD-5: the signature does not verify with vendor key \(TestKeys.vendor.publicKey.keyID): "
                + "a signed field (key, tenant, seats, overage, seat_counting, tier, features, expires, issued, serial) was changed after signing")
        }
    }

    @Test func stateIsTheSitesChoiceAndNotSigned() throws {
        var entry = try signed()
        entry.state = .revoked
        #expect(try production.license(from: entry, origin: .file).state == .revoked)
    }

    @Test func signatureByAnUntrustedKeyIsRejected() throws {
        let entry = try signed(with: TestKeys.other)
        #expect(throws: LicenseDocumentError.untrustedKey(license: "ACME-CAD-5", keyID: TestKeys.other.publicKey.keyID)) {
            try production.license(from: entry, origin: .file)
        }
    }

    @Test func signatureFromAnotherKeyUnderATrustedKeyIDIsRejected() throws {
        var entry = try signed(with: TestKeys.other)
        entry.signature?.keyID = TestKeys.vendor.publicKey.keyID
        #expect(throws: LicenseDocumentError.signatureMismatch(license: "ACME-CAD-5", keyID: TestKeys.vendor.publicKey.keyID)) {
            try production.license(from: entry, origin: .file)
        }
    }

    @Test func eitherOfTwoTrustedKeysVerifiesDuringRotation() throws {
        let rotating = LicenseVerifier(trustedKeys: [TestKeys.vendor.publicKey, TestKeys.other.publicKey], allowUnsigned: false)
        let old = try rotating.license(from: signed(with: TestKeys.vendor), origin: .file)
        let new = try rotating.license(from: signed(with: TestKeys.other), origin: .file)
        #expect(old.provenance.signingKeyID == TestKeys.vendor.publicKey.keyID)
        #expect(new.provenance.signingKeyID == TestKeys.other.publicKey.keyID)
    }

    @Test func unsignedIsRefusedInProductionAndAcceptedInDevelopmentMode() throws {
        let unsigned = LicenseEntry(key: "DEV-1", seats: 2, serial: "local")
        #expect(throws: LicenseDocumentError.unsigned(license: "DEV-1")) { try production.license(from: unsigned, origin: .file) }
        let development = LicenseVerifier(trustedKeys: [], allowUnsigned: true)
        let license = try development.license(from: unsigned, origin: .file)
        #expect(license.provenance == LicenseProvenance(serial: "local", issuedAt: nil, signingKeyID: nil, origin: .file))
        #expect(LicenseDocumentError.unsigned(license: "DEV-1").description
            == "license DEV-1: is unsigned; unsigned licenses are accepted only with development_mode = true")
    }

    @Test func developmentModeStillChecksSignedLicenses() throws {
        var entry = try signed()
        entry.seats += 1
        let development = LicenseVerifier(trustedKeys: [TestKeys.vendor.publicKey], allowUnsigned: true)
        #expect(throws: LicenseDocumentError.signatureMismatch(license: "ACME-CAD-5", keyID: TestKeys.vendor.publicKey.keyID)) {
            try development.license(from: entry, origin: .file)
        }
    }

    @Test func oneBadEntryRejectsTheWholeDocument() throws {
        var bad = try signed(LicenseEntry(key: "SECOND", seats: 1))
        bad.seats = 2
        #expect(throws: LicenseDocumentError.signatureMismatch(license: "SECOND", keyID: TestKeys.vendor.publicKey.keyID)) {
            try production.licenses(from: [try signed(), bad], origin: .file)
        }
    }
}
