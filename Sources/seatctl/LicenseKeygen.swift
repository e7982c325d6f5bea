import ArgumentParser
import Foundation
import SeatLicensing

/// `seatctl license keygen --out PREFIX`: a new vendor key pair.
struct LicenseKeygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a vendor Ed25519 key pair: PREFIX.key (private, mode 0600) and PREFIX.pub.",
        discussion: "Existing files are never overwritten. Keep PREFIX.key secret; give sites the vendor_public_keys line."
    )

    @Option(help: "Path prefix of the key files to write.") var out: String
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let key = VendorSigningKey.generate()
        let publicKey = key.publicKey
        for path in [out + ".key", out + ".pub"] where FileManager.default.fileExists(atPath: path) {
            throw LicenseFiles.fail("\(path) exists; not overwriting it")
        }
        try LicenseFiles.create(out + ".key", contents: key.pemText, mode: 0o600)
        try LicenseFiles.create(out + ".pub", contents: publicKey.base64 + "\n", mode: 0o644)
        Output.print(json, [
            ("key_id", .string(publicKey.keyID)),
            ("private_key_file", .string(out + ".key")),
            ("public_key_file", .string(out + ".pub")),
            ("config_line", .string("vendor_public_keys = \(publicKey.base64)")),
        ])
    }
}
