import ArgumentParser
import Foundation
import SeatCore
import SeatLicensing

/// `seatctl license verify --public-key PREFIX.pub FILE`: checks a license file as seatd
/// in production mode would, license by license.
struct LicenseVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every license in a license file against vendor public keys.",
        discussion: "Prints each license as ok or failed (with why); exits \(ExitStatus.licenseRejected.rawValue) if any failed."
    )

    @Option(help: "A vendor public key file (PREFIX.pub); repeat for several keys.") var publicKey: [String]
    @Flag(help: "Print the result as JSON.") var json = false
    @Argument(help: "The license file to check.") var file: String

    func validate() throws {
        guard !publicKey.isEmpty else { throw ValidationError("give at least one --public-key") }
    }

    func run() throws {
        let verifier = LicenseVerifier(trustedKeys: try publicKey.map(LicenseFiles.publicKey), allowUnsigned: false)
        let entries: [LicenseEntry]
        do {
            entries = try LicenseDocument.parse(LicenseFiles.read(file, what: "license file"))
        } catch let error as LicenseDocumentError {
            Output.note("\(file): \(error)")
            throw ExitStatus.licenseRejected.exitCode
        }
        let results = entries.map { entry in
            Result { () throws(LicenseDocumentError) in try verifier.license(from: entry, origin: .file) }
        }
        json ? printJSON(entries, results) : printLines(entries, results)
        if results.contains(where: { if case .failure = $0 { true } else { false } }) {
            throw ExitStatus.licenseRejected.exitCode
        }
    }

    private func printLines(_ entries: [LicenseEntry], _ results: [Result<SeatCore.License, LicenseDocumentError>]) {
        for (entry, result) in zip(entries, results) {
            switch result {
            case .success(let license):
                let expiry = license.expiresAt.map(Output.iso8601) ?? "never"
                print("ok      \(license.key)  tenant=\(license.tenant) seats=\(license.seats) overage=\(license.overage) seat_counting=\(license.seatCounting.rawValue) expires=\(expiry) serial=\(license.provenance.serial) key_id=\(license.provenance.signingKeyID ?? "-")")
            case .failure(let error):
                print("FAILED  \(entry.key)  \(error)")
            }
        }
    }

    private func printJSON(_ entries: [LicenseEntry], _ results: [Result<SeatCore.License, LicenseDocumentError>]) {
        let licenses: [[String: Any]] = zip(entries, results).map { entry, result in
            switch result {
            case .success(let license):
                ["key": license.key, "ok": true, "tenant": license.tenant, "seats": license.seats, "overage": license.overage.description, "seat_counting": license.seatCounting.rawValue,
                 "expires": license.expiresAt.map(Output.iso8601) ?? NSNull(), "serial": license.provenance.serial,
                 "key_id": license.provenance.signingKeyID ?? NSNull()]
            case .failure(let error):
                ["key": entry.key, "ok": false, "error": "\(error)"]
            }
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["licenses": licenses], options: [.sortedKeys])) ?? Data("{}".utf8)
        print(String(decoding: data, as: UTF8.self))
    }
}
