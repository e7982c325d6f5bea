import Foundation
import Testing

/// The vendor side of seatctl, run as the built binary: keygen, sign and verify, offline,
/// and the keys and signed file it makes accepted by a production-mode seatd.
@Suite struct SeatctlLicenseTests {
    let directory = DaemonProcess.makeStateDirectory()

    func seatctl(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await ChildCommand.run(SeatctlProcess.binary, arguments)
    }

    /// keygen into `<directory>/name`; returns the vendor_public_keys value it printed.
    func keygen(_ name: String) async throws -> String {
        let result = try await seatctl(["license", "keygen", "--out", "\(directory)/\(name)"])
        #expect(result.status == 0, "\(result.output)")
        let line = result.output.split(separator: "\n").first { $0.contains("vendor_public_keys = ") }
        return String(line?.split(separator: "= ", maxSplits: 1).last ?? "")
    }

    func writeUnsigned() throws {
        try #"{"licenses": [{"key": "SHIP-1", "tenant": "acme", "seats": 7, "expires": "2030-06-30T00:00:00Z"}, {"key": "SHIP-2", "seats": 1}]}"#
            .write(toFile: "\(directory)/unsigned.json", atomically: true, encoding: .utf8)
    }

    @Test func keygenWritesAPrivateKeyOnlyItsOwnerCanReadAndNeverOverwrites() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await seatctl(["license", "keygen", "--out", "\(directory)/vendor", "--json"])
        #expect(result.status == 0, "\(result.output)")
        let printed = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: String]
        let publicKey = try String(contentsOfFile: "\(directory)/vendor.pub", encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(printed?["config_line"] == "vendor_public_keys = \(publicKey)")
        #expect(printed?["key_id"]?.count == 16)
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(directory)/vendor.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let privateKey = try String(contentsOfFile: "\(directory)/vendor.key", encoding: .utf8)
        #expect(privateKey.hasPrefix("-----BEGIN SEATD VENDOR PRIVATE KEY-----\n"))

        let again = try await seatctl(["license", "keygen", "--out", "\(directory)/vendor"])
        #expect(again.status == 1)
        #expect(again.output.contains("exists; not overwriting it"))
        #expect(try String(contentsOfFile: "\(directory)/vendor.key", encoding: .utf8) == privateKey)
    }

    @Test func signThenVerifyAndAnEditedFileFails() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await keygen("vendor")
        try writeUnsigned()
        let sign = try await seatctl(["license", "sign", "--key", "\(directory)/vendor.key", "\(directory)/unsigned.json", "--out", "\(directory)/signed.json"])
        #expect(sign.status == 0, "\(sign.output)")
        #expect(sign.output.contains("signed 2 licenses"))

        let verify = try await seatctl(["license", "verify", "--public-key", "\(directory)/vendor.pub", "\(directory)/signed.json"])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("ok      SHIP-1  tenant=acme seats=7"))
        #expect(verify.output.contains("ok      SHIP-2"))

        let signed = try String(contentsOfFile: "\(directory)/signed.json", encoding: .utf8)
        try signed.replacingOccurrences(of: "\"seats\" : 7,", with: "\"seats\" : 70,").write(toFile: "\(directory)/edited.json", atomically: true, encoding: .utf8)
        let edited = try await seatctl(["license", "verify", "--public-key", "\(directory)/vendor.pub", "\(directory)/edited.json"])
        #expect(edited.status == 8)
        #expect(edited.output.contains("FAILED  SHIP-1  license SHIP-1: the signature does not verify"), "\(edited.output)")
        #expect(edited.output.contains("ok      SHIP-2"))
    }

    @Test func aVendorIssuesAnOverageThatIsSignedAndABadOneIsRefused() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await keygen("vendor")
        try #"{"licenses": [{"key": "OVER-10", "tenant": "acme", "seats": 10, "overage": "1.5x"}]}"#
            .write(toFile: "\(directory)/draft.json", atomically: true, encoding: .utf8)
        let sign = try await seatctl(["license", "sign", "--key", "\(directory)/vendor.key", "\(directory)/draft.json", "--out", "\(directory)/signed.json"])
        #expect(sign.status == 0, "\(sign.output)")
        let verify = try await seatctl(["license", "verify", "--public-key", "\(directory)/vendor.pub", "\(directory)/signed.json"])
        #expect(verify.status == 0 && verify.output.contains("ok      OVER-10  tenant=acme seats=10 overage=1.5x"), "\(verify.output)")

        let signed = try String(contentsOfFile: "\(directory)/signed.json", encoding: .utf8)
        #expect(signed.contains(#""overage" : "1.5x""#))
        try signed.replacingOccurrences(of: #""overage" : "1.5x""#, with: #""overage" : "2x""#)
            .write(toFile: "\(directory)/edited.json", atomically: true, encoding: .utf8)
        let edited = try await seatctl(["license", "verify", "--public-key", "\(directory)/vendor.pub", "\(directory)/edited.json"])
        #expect(edited.status == 8)
        #expect(edited.output.contains("FAILED  OVER-10  license OVER-10: the signature does not verify"), "\(edited.output)")

        try #"{"licenses": [{"key": "OVER-10", "seats": 10, "overage": "1x"}]}"#.write(toFile: "\(directory)/bad.json", atomically: true, encoding: .utf8)
        let bad = try await seatctl(["license", "sign", "--key", "\(directory)/vendor.key", "\(directory)/bad.json"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("licenses[0].overage '1x' is not an overage"), "\(bad.output)")
    }

    @Test func verifyWithAnotherVendorsKeyFails() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await keygen("vendor")
        _ = try await keygen("stranger")
        try writeUnsigned()
        let sign = try await seatctl(["license", "sign", "--key", "\(directory)/vendor.key", "\(directory)/unsigned.json"])
        #expect(sign.status == 0)
        try sign.output.write(toFile: "\(directory)/signed.json", atomically: true, encoding: .utf8)
        let verify = try await seatctl(["license", "verify", "--public-key", "\(directory)/stranger.pub", "--json", "\(directory)/signed.json"])
        #expect(verify.status == 8)
        let result = try JSONSerialization.jsonObject(with: Data(verify.output.utf8)) as? [String: [[String: Any]]]
        #expect(result?["licenses"]?.map { $0["ok"] as? Bool } == [false, false])
        #expect((result?["licenses"]?.first?["error"] as? String)?.contains("not among vendor_public_keys") == true)
    }

    @Test func productionSeatdServesWhatSeatctlSigned() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let publicKey = try await keygen("vendor")
        try writeUnsigned()
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let sign = try await seatctl(["license", "sign", "--key", "\(directory)/vendor.key", "\(directory)/unsigned.json", "--out", "\(stateDirectory)/licenses.json"])
        #expect(sign.status == 0, "\(sign.output)")
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: ["development_mode": "false", "vendor_public_keys": publicKey, "anonymous_tenant": "acme"]).use { daemon in
            let client = try await daemon.connect()
            #expect(try await client.validate(licenseKey: "SHIP-1").seatsTotal == 7)
            await client.close()
        }
    }
}
