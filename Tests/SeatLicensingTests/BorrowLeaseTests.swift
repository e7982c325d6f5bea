import SeatCore
import SeatLicensing
import Testing

/// RFC 8032, 7.1, TEST 1: the key protocol-spec.md signs its lease vector with.
private let rfcKey = try! BorrowSigningKey(pemText: """
    -----BEGIN SEATD BORROW SIGNING KEY-----
    nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=
    -----END SEATD BORROW SIGNING KEY-----
    """)

private let specLease = BorrowLease(
    leaseID: 0x0123_4567_89ab_cdef, licenseKey: "ACME-PRO-2024", tenant: "acme", user: "alice", hardwareID: "hw:5f3a9c",
    issuedAt: Timestamp(millisecondsSinceEpoch: 1_767_225_600_000), expiresAt: Timestamp(millisecondsSinceEpoch: 1_767_830_400_000))

/// The signed lease of protocol-spec.md, vector `server.borrowed`.
private let specLeaseHex = "010123456789abcdef0000019b76daa8000000019b9ae72c00000d41434d452d50524f2d32303234000461636d650005616c696365"
    + "000968773a3566336139634a53d44772a368ca38c8c022bfbe07e163b9bba6b3de2b33b6226f31c72bf8dc9a20a8dd746a8eb973"
    + "09b3c4f8537119b620ffc6714a112fbdd0058d6a17690b"

/// Hex without separators, as the spec vector is written (TestKeys' `hex` separates pairs).
private func compactHex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

private let during = Timestamp(millisecondsSinceEpoch: 1_767_500_000_000)

@Suite("Offline leases")
struct BorrowLeaseTests {
    @Test func signingTheSpecLeaseWithTheRFCKeyGivesTheSpecBytes() throws {
        #expect(rfcKey.publicKey.base64 == "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
        #expect(compactHex(try rfcKey.sign(specLease)) == specLeaseHex)
    }

    @Test func aLeaseDecodesToWhatWasSigned() throws {
        let decoded = try BorrowLease.decode(try rfcKey.sign(specLease))
        #expect(decoded.lease == specLease)
        #expect(decoded.signature.count == 64)
    }

    @Test func aGenuineLeaseIsValidOnItsMachineUntilItsExpiry() throws {
        let bytes = try rfcKey.sign(specLease)
        #expect(BorrowLeaseVerifier.verify(bytes, trusting: rfcKey.publicKey, now: during, hardwareID: "hw:5f3a9c") == .valid(specLease))
        let lastMillisecond = specLease.expiresAt.adding(milliseconds: -1)
        #expect(BorrowLeaseVerifier.verify(bytes, trusting: rfcKey.publicKey, now: lastMillisecond, hardwareID: "hw:5f3a9c").isValid)
    }

    @Test func aLeaseAtOrPastItsExpiryIsExpired() throws {
        let bytes = try rfcKey.sign(specLease)
        for now in [specLease.expiresAt, specLease.expiresAt.adding(milliseconds: 86_400_000)] {
            #expect(BorrowLeaseVerifier.verify(bytes, trusting: rfcKey.publicKey, now: now, hardwareID: "hw:5f3a9c") == .expired(specLease))
        }
    }

    @Test func aLeaseForAnotherMachineIsWrongMachine() throws {
        let bytes = try rfcKey.sign(specLease)
        #expect(BorrowLeaseVerifier.verify(bytes, trusting: rfcKey.publicKey, now: during, hardwareID: "hw:other") == .wrongMachine(specLease))
    }

    /// Every single flipped bit, in any field or in the signature, breaks the signature (or
    /// the layout): nothing the lease says can be changed without the key.
    @Test func everyTamperedByteIsRefused() throws {
        let bytes = try rfcKey.sign(specLease)
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x01
            let verdict = BorrowLeaseVerifier.verify(tampered, trusting: rfcKey.publicKey, now: during, hardwareID: "hw:5f3a9c")
            switch verdict {
            case .badSignature, .unreadable: break
            default: Issue.record("flipping byte \(index) gave \(verdict)")
            }
        }
    }

    @Test func aLeaseSignedByAnotherKeyHasABadSignature() throws {
        let other = BorrowSigningKey.generate()
        let bytes = try other.sign(specLease)
        #expect(BorrowLeaseVerifier.verify(bytes, trusting: rfcKey.publicKey, now: during, hardwareID: "hw:5f3a9c") == .badSignature)
        #expect(BorrowLeaseVerifier.verify(bytes, trusting: other.publicKey, now: during, hardwareID: "hw:5f3a9c").isValid)
    }

    @Test func anotherVersionByteIsUnreadableNotGuessed() throws {
        var bytes = try rfcKey.sign(specLease)
        bytes[0] = 2
        #expect(BorrowLeaseVerifier.verify(bytes, trusting: rfcKey.publicKey, now: during, hardwareID: "hw:5f3a9c") == .unreadable(.unsupportedVersion(2)))
    }

    @Test func truncatedOrExtendedLeasesAreUnreadable() throws {
        let bytes = try rfcKey.sign(specLease)
        for length in [0, 1, 24, bytes.count - 65, bytes.count - 1] {
            let verdict = BorrowLeaseVerifier.verify(Array(bytes.prefix(length)), trusting: rfcKey.publicKey, now: during, hardwareID: "hw:5f3a9c")
            guard case .unreadable = verdict else { Issue.record("\(length) bytes gave \(verdict)"); continue }
        }
        let verdict = BorrowLeaseVerifier.verify(bytes + [0], trusting: rfcKey.publicKey, now: during, hardwareID: "hw:5f3a9c")
        guard case .unreadable = verdict else { Issue.record("a trailing byte gave \(verdict)"); return }
    }

    @Test func keysSurviveTheirTextForms() throws {
        let key = BorrowSigningKey.generate()
        let reread = try BorrowSigningKey(pemText: key.pemText)
        #expect(reread.publicKey == key.publicKey)
        #expect(try BorrowPublicKey(base64: key.publicKey.base64 + "\n") == key.publicKey)
        #expect(throws: VendorKeyError.malformedPublicKey(looksLikePrivateKey: true)) { _ = try BorrowPublicKey(base64: key.pemText) }
    }

    @Test func leaseIDsPrintAsSixteenHexDigits() {
        #expect(BorrowLease.idText(0x0123_4567_89ab_cdef) == "0123456789abcdef")
        #expect(BorrowLease.idText(1) == "0000000000000001")
    }
}
