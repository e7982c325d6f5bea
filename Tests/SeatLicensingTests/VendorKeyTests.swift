import Foundation
@testable import SeatLicensing
import Testing

@Suite struct VendorKeyTests {
    @Test func privateKeyFileRoundTrips() throws {
        let key = VendorSigningKey.generate()
        #expect(key.pemText.hasPrefix("-----BEGIN SEATD VENDOR PRIVATE KEY-----\n"))
        #expect(try VendorSigningKey(pemText: key.pemText).publicKey == key.publicKey)
        #expect(VendorSigningKey.generate().publicKey != key.publicKey)
    }

    @Test func publicKeyRoundTripsThroughBase64() throws {
        let key = TestKeys.vendor.publicKey
        #expect(Data(base64Encoded: key.base64)?.count == 32)
        #expect(try VendorPublicKey(base64: key.base64 + "\n") == key)
    }

    /// The key id is part of the file format: the first 8 bytes of SHA-256 of the raw key.
    @Test func keyIDIsTheStartOfTheSHA256OfTheRawKey() {
        // Raw private key 0x01...0x20 (TestKeys.vendor); checked with Python's `cryptography`
        // and hashlib: sha256(public_key_raw)[:8].
        #expect(TestKeys.vendor.publicKey.base64 == "ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=")
        #expect(TestKeys.vendor.publicKey.keyID == "65b60673d6ed884b")
    }

    @Test(arguments: ["", "not base64!", Data(count: 31).base64EncodedString(), Data(count: 33).base64EncodedString()])
    func malformedPublicKeysAreRejected(text: String) {
        #expect(throws: VendorKeyError.malformedPublicKey(looksLikePrivateKey: false)) { try VendorPublicKey(base64: text) }
    }

    /// A private key given where a public key belongs is refused without echoing any of it.
    @Test func aPrivateKeyGivenAsPublicKeyIsNamedButNeverEchoed() throws {
        let privateKeyFile = TestKeys.vendor.pemText
        let body = privateKeyFile.split(separator: "\n")[1]
        do {
            _ = try VendorPublicKey(base64: privateKeyFile)
            Issue.record("a private key was accepted as a public key")
        } catch {
            #expect(error == .malformedPublicKey(looksLikePrivateKey: true))
            #expect(!error.description.contains(body.prefix(8)))
            #expect(error.description.contains("private key"))
        }
    }

    @Test(arguments: [
        "",
        "ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=",
        TestKeys.armoured(Data(count: 31)),
        TestKeys.armoured(Data(count: 64)),
        "-----BEGIN SEATD VENDOR PRIVATE KEY-----\n%%%%\n-----END SEATD VENDOR PRIVATE KEY-----\n",
    ])
    func malformedPrivateKeyFilesAreRejected(text: String) {
        #expect(throws: VendorKeyError.self) { try VendorSigningKey(pemText: text) }
    }
}
