import SeatCore
import SeatLicensing
@testable import SeatServer
import Testing

/// Imported licenses are served only while the key that signed them is trusted: removing
/// a vendor key from `vendor_public_keys` withdraws them, adding it back restores them.
@Suite struct LicenseTrustTests {
    static let vendorKey = try! VendorPublicKey(base64: "ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=")
    static let trusting = LicenseVerifier(trustedKeys: [vendorKey], allowUnsigned: false)
    static let notTrusting = LicenseVerifier(trustedKeys: [], allowUnsigned: false)

    static func signedLicense() -> License {
        License(key: "LIC-1", seats: 2, provenance: LicenseProvenance(serial: "s1", signingKeyID: vendorKey.keyID, origin: .admin))
    }

    @Test func aLicenseWhoseSignerIsNoLongerTrustedIsWithdrawnAndItsSessionsRevoked() async throws {
        let seats = try await SeatServiceFixture(licenses: [Self.signedLicense()], verifier: Self.trusting)
        defer { seats.remove() }
        let session = try await seats.acquire("alice").get().session

        let change = await seats.service.applyTrust(Self.notTrusting)
        #expect(change.withdrawn == ["LIC-1"])
        #expect(await seats.heartbeat(session.token) == .failure(.sessionEnded(.revoked)))
        #expect(await seats.validate() == .failure(.unknownLicense))
        // Kept in the store: trusting the key again serves it again.
        #expect(try seats.store.loadLicenses().map(\.key) == ["LIC-1"])
        let back = await seats.service.applyTrust(Self.trusting)
        #expect(back.restored == ["LIC-1"])
        #expect(try await seats.validate().get().license.key == "LIC-1")
    }

    @Test func aRestartDoesNotServeALicenseWhoseSignerIsNotTrusted() async throws {
        let first = try await SeatServiceFixture(licenses: [Self.signedLicense()], verifier: Self.trusting)
        _ = try await first.acquire("alice").get()
        first.close()
        let second = try await SeatServiceFixture(licenses: [], clock: first.clock, reopening: first.directory, verifier: Self.notTrusting)
        defer { second.remove() }
        #expect(await second.validate() == .failure(.unknownLicense))
        #expect(try second.store.loadLiveSessions().isEmpty, "its sessions ended as revoked at start")
    }

    @Test func unsignedImportsAreServedOnlyInDevelopmentMode() async throws {
        let unsigned = testLicense(seats: 1)
        #expect(Self.notTrusting.stillTrusts(unsigned.provenance) == false)
        #expect(SeatServiceFixture.developmentMode.stillTrusts(unsigned.provenance))
        let seats = try await SeatServiceFixture(licenses: [unsigned])
        defer { seats.remove() }
        #expect(await seats.service.applyTrust(Self.notTrusting).withdrawn == ["LIC-1"])
    }
}
