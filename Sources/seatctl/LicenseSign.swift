import ArgumentParser
import Foundation
import SeatCore
import SeatLicensing

/// `seatctl license sign --key PREFIX.key INPUT [--out OUTPUT]`: the vendor signs a
/// license document.
struct LicenseSign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign every license in a license file with a vendor private key.",
        discussion: """
            Entries without "issued" get the current time and entries without "serial" a random \
            one; any earlier signature is replaced. The signed file goes to stdout unless --out is given.
            """
    )

    @Option(help: "The vendor private key file (PREFIX.key from keygen).") var key: String
    @Option(help: "Write the signed file here instead of stdout.") var out: String?
    @Argument(help: "The license file to sign (JSON, docs/license-files.md).") var input: String

    func run() throws {
        let signer = LicenseSigner(key: try LicenseFiles.signingKey(key))
        let document = try LicenseFiles.read(input, what: "license file")
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        let entries: [LicenseEntry]
        do {
            entries = try signer.sign(LicenseDocument.parse(document), now: now)
        } catch let error as LicenseDocumentError {
            throw LicenseFiles.fail("\(input): \(error)")
        }
        let signed = LicenseDocument.encode(entries)
        if let out {
            do {
                try signed.write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw LicenseFiles.fail("cannot write \(out): \(error.localizedDescription)")
            }
            Output.note("signed \(entries.count) licenses with vendor key \(signer.key.publicKey.keyID) into \(out)")
        } else {
            FileHandle.standardOutput.write(signed)
        }
    }
}
