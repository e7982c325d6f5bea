import ArgumentParser
import Foundation
import SeatClient
import SeatCore
import SeatLicensing

/// `seatctl policy`: the site policy file.
struct PolicyCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Work with the site policy file (policy_file).",
        subcommands: [PolicyCheck.self, PolicyShow.self]
    )
}

/// `seatctl policy check FILE`: reads a policy file as seatd would, without a server, and
/// prints OK or every error as `file:line: rule: message`.
struct PolicyCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a policy file offline.",
        discussion: """
            Prints OK (with the number of rules) or each error as file:line: rule: message, and \
            exits \(ExitStatus.policyDenied.rawValue) on errors. With --licenses, reservations are \
            also checked against the seats of that licenses file (signatures are not checked here: \
            use seatctl license verify); seatd checks them against every license it serves.
            """
    )

    @Option(help: "A licenses file (licenses_file) whose seat counts the reservations must fit.") var licenses: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @Argument(help: "The policy file to check.") var file: String

    func run() throws {
        var errors: [PolicyFileError] = []
        var ruleCount = 0
        do {
            let policy = try SitePolicyParser.parse(String(decoding: try LicenseFiles.read(file, what: "policy file"), as: UTF8.self), file: file)
            ruleCount = policy.ruleCount
            if let licenses {
                let entries = try LicenseDocument.parse(LicenseFiles.read(licenses, what: "licenses file"))
                errors = policy.reservationErrors(for: entries.map { SeatCore.License(key: $0.key, tenant: $0.tenant, seats: $0.seats) })
            }
        } catch let failure as PolicyFileErrors {
            errors = failure.errors
        } catch let error as LicenseDocumentError {
            Output.note("\(licenses ?? ""): \(error)")
            throw ExitStatus.failure.exitCode
        }
        if json {
            let object: [String: Any] = [
                "ok": errors.isEmpty, "file": file, "rules": ruleCount,
                "errors": errors.map { ["file": $0.file, "line": $0.line, "rule": $0.rule, "message": $0.message] as [String: Any] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else if errors.isEmpty {
            print("OK \(file): \(ruleCount) \(ruleCount == 1 ? "rule" : "rules")")
        } else {
            for error in errors { print(error) }
        }
        if !errors.isEmpty { throw ExitStatus.policyDenied.exitCode }
    }
}

/// `seatctl policy show`: the policy in force on the server, per license (admin).
struct PolicyShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the site policy in force, per license, with what each rule's user, group or host holds (admin)."
    )

    @OptionGroup var admin: AdminOptions
    @Option(help: "Only this tenant's licenses.") var tenant: String?

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminPolicyQuery(tenant: tenant))
            printAdminReply(json: admin.json, response) { AdminTables.policy(response.reply.licenses) }
        }
    }
}
