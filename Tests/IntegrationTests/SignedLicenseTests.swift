import Foundation
import SeatClient
import SeatCore
import SeatLicensing
import SeatProtocol
import Testing

/// seatd in production mode (development_mode = false, vendor_public_keys set) serves
/// only licenses a trusted vendor key signed, at start and on SIGHUP.
@Suite struct SignedLicenseTests {
    let vendor = VendorSigningKey.generate()

    var production: [String: String] {
        // The clients act for the licenses' tenant without a key (authentication is tested elsewhere).
        ["development_mode": "false", "vendor_public_keys": vendor.publicKey.base64, "anonymous_tenant": "acme"]
    }

    /// Signed JSON text of `entries`, as the vendor ships it.
    func signedDocument(_ entries: [LicenseEntry]) throws -> String {
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        return String(decoding: LicenseDocument.encode(try LicenseSigner(key: vendor).sign(entries, now: now)), as: UTF8.self)
    }

    static let cad = LicenseEntry(key: "SIGNED-CAD-5", tenant: "acme", seats: 5, tier: "pro", features: ["export": "step"],
                                  expiresAt: Timestamp(millisecondsSinceEpoch: 1_924_991_999_000))  // 2030-12-31T23:59:59Z

    /// Starts seatd on `document`, expecting it to refuse; returns its log.
    func refusedStart(_ document: String, settings: [String: String]) async throws -> DaemonStartError {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        try document.write(toFile: stateDirectory + "/licenses.json", atomically: true, encoding: .utf8)
        do {
            let daemon = try await DaemonProcess.start(stateDirectory: stateDirectory, settings: settings)
            await daemon.cleanUp()
            Issue.record("seatd started with \(document)")
            return DaemonStartError(log: "", status: 0)
        } catch let error as DaemonStartError {
            return error
        }
    }

    @Test func signedFileIsServed() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        try signedDocument([Self.cad]).write(toFile: stateDirectory + "/licenses.json", atomically: true, encoding: .utf8)
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: production).use { daemon in
            let client = try await daemon.connect()
            let result = try await client.validate(licenseKey: "SIGNED-CAD-5")
            #expect(result.status == .valid)
            #expect(result.seatsTotal == 5)
            #expect(result.tier == "pro")
            await client.close()
            #expect(!daemon.log.contains("development_mode is on"))
        }
    }

    @Test(arguments: [
        ("\"seats\" : 5,", "\"seats\" : 50,"),
        ("\"expires\" : \"2030-12-31T23:59:59Z\"", "\"expires\" : \"2039-12-31T23:59:59Z\""),
    ])
    func editedFileStopsStartNamingTheLicense(original: String, edited: String) async throws {
        let signed = try signedDocument([LicenseEntry(key: "OTHER", seats: 1), Self.cad])
        #expect(signed.contains(original))
        let failure = try await refusedStart(signed.replacingOccurrences(of: original, with: edited), settings: production)
        #expect(failure.status == 1)
        #expect(failure.log.contains("license SIGNED-CAD-5: the signature does not verify with vendor key \(vendor.publicKey.keyID)"), "\(failure.log)")
    }

    @Test func unsignedFileIsRefusedInProductionMode() async throws {
        let failure = try await refusedStart(#"{"licenses": [{"key": "PLAIN", "seats": 3}]}"#, settings: production)
        #expect(failure.status == 1)
        #expect(failure.log.contains("license PLAIN: is unsigned; unsigned licenses are accepted only with development_mode = true"), "\(failure.log)")
    }

    @Test func fileSignedByAnotherVendorIsRefused() async throws {
        let other = VendorSigningKey.generate()
        let signed = try signedDocument([Self.cad])
        let failure = try await refusedStart(signed, settings: ["development_mode": "false", "vendor_public_keys": other.publicKey.base64])
        #expect(failure.log.contains("is signed by vendor key \(vendor.publicKey.keyID) which is not among vendor_public_keys"), "\(failure.log)")
    }

    @Test func editedFileOnSighupIsRejectedAndTheOldLicensesKeepServing() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let signed = try signedDocument([Self.cad])
        try signed.write(toFile: stateDirectory + "/licenses.json", atomically: true, encoding: .utf8)
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: production).use { daemon in
            try signed.replacingOccurrences(of: "\"seats\" : 5,", with: "\"seats\" : 500,")
                .write(toFile: daemon.licensesFile, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            let line = try await daemon.waitForLog(containing: "reload rejected")
            #expect(line.contains("license SIGNED-CAD-5: the signature does not verify"), "\(line)")
            let client = try await daemon.connect()
            let result = try await client.validate(licenseKey: "SIGNED-CAD-5")
            #expect(result.status == .valid)
            #expect(result.seatsTotal == 5)
            await client.close()
        }
    }

    @Test func developmentModeServesUnsignedLicensesWithAWarning() async throws {
        try await withDaemon(licenses: [TestLicense(key: "DEV", seats: 2)]) { daemon in
            #expect(daemon.log.contains("development_mode is on"))
            let client = try await daemon.connect()
            #expect(try await client.validate(licenseKey: "DEV").status == .valid)
            await client.close()
        }
    }

    /// The site side: `license.import` over the admin socket verifies every entry first;
    /// an edited document is refused whole, and unsigned `license.add` needs development mode.
    @Test func importOverTheAdminSocketVerifiesSignatures() async throws {
        try await withDaemon(licenses: [], settings: production) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            let signed = try signedDocument([Self.cad, LicenseEntry(key: "SIGNED-VIEW-2", tenant: "acme", seats: 2)])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(signed.utf8)) as? [String: Any])

            let tampered = signed.replacingOccurrences(of: "\"seats\" : 2,", with: "\"seats\" : 20,")
            let reply = try await admin.request(.admin(AdminRequest(json: #"{"op": "license.import", "document": "# + tampered + "}")))
            guard case .error(let refused) = reply else { throw ProbeError("an edited document was imported: \(reply)") }
            #expect(refused.code == .licenseNotVerified)
            #expect(refused.message.contains("license SIGNED-VIEW-2: the signature does not verify"), "\(refused.message)")
            #expect(try #require(try await admin.admin(["op": "license.list"])["licenses"] as? [[String: Any]]).isEmpty)

            let imported = try await admin.admin(["op": "license.import", "document": document])
            #expect(imported["added"] as? [String] == ["SIGNED-CAD-5", "SIGNED-VIEW-2"])
            let again = try await admin.admin(["op": "license.import", "document": document])
            #expect(again["unchanged"] as? [String] == ["SIGNED-CAD-5", "SIGNED-VIEW-2"])
            let listed = try #require(try await admin.admin(["op": "license.list"])["licenses"] as? [[String: Any]])
            #expect(listed.map { $0["signed_by"] as? String } == [vendor.publicKey.keyID, vendor.publicKey.keyID])
            #expect(listed.map { $0["origin"] as? String } == ["admin", "admin"])

            let unsigned = await #expect(throws: ErrorReply.self) {
                try await admin.admin(["op": "license.add", "license": ["key": "PLAIN", "seats": 1]])
            }
            #expect(unsigned?.code == .conflict)
            let client = try await daemon.connect()
            #expect(try await client.validate(licenseKey: "SIGNED-VIEW-2").seatsTotal == 2)
            await client.close()
            await admin.close()
        }
    }
}
