import ArgumentParser
import Foundation
import SeatClient

// The admin channel's license subcommands, in the `license` group (LicenseCommands in
// License.swift) next to the vendor-side keygen/sign/verify.

struct LicenseAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add an unsigned license (development mode only; use import for signed licenses)."
    )

    @OptionGroup var admin: AdminOptions
    @Argument(help: "License key, e.g. ACME-CAD-5.") var key: String
    @Option(help: "Number of seats.") var seats: Int
    @Option(help: "Tenant the license belongs to (default: the server's default tenant).") var tenant: String?
    @Option(help: "Tier, e.g. pro.") var tier: String?
    @Option(name: .customLong("feature"), help: ArgumentHelp("A feature flag as name=value; repeatable.", valueName: "name=value"))
    var features: [String] = []
    @Option(help: ArgumentHelp("Expiry as an ISO 8601 time, e.g. 2027-12-31T23:59:59Z.", valueName: "time")) var expires: String?

    func validate() throws {
        guard seats >= 0 else { throw ValidationError("--seats must be zero or more") }
        _ = try parsedFeatures()
        if let expires, AdminJSON.parseTime(expires) == nil { throw ValidationError("--expires takes an ISO 8601 time, e.g. 2027-12-31T23:59:59Z") }
    }

    func parsedFeatures() throws -> [String: String]? {
        guard !features.isEmpty else { return nil }
        var parsed: [String: String] = [:]
        for feature in features {
            guard let equals = feature.firstIndex(of: "="), equals != feature.startIndex else {
                throw ValidationError("--feature takes name=value, got '\(feature)'")
            }
            parsed[String(feature[..<equals])] = String(feature[feature.index(after: equals)...])
        }
        return parsed
    }

    func run() async throws {
        let license = NewLicense(key: key, tenant: tenant, seats: seats, tier: tier, features: try parsedFeatures(), expires: expires.flatMap(AdminJSON.parseTime))
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminAddLicense(license))
            printAdminReply(json: admin.json, response) { AdminTables.licenses([response.reply.license]) }
        }
    }
}

struct LicenseImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a signed license document ({\"licenses\": [...]}); every entry is verified, one bad entry rejects all."
    )

    @OptionGroup var admin: AdminOptions
    @Argument(help: "The license document (JSON), e.g. from seatctl license sign; - for stdin.") var file: String

    func run() async throws {
        let data: Data
        do {
            data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        let document: JSONValue
        do {
            document = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ValidationError("\(file) is not JSON: \(error)")
        }
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminImportLicenses(document: document))
            printAdminReply(json: admin.json, response) {
                var table = TextTable(headers: ["LICENSE", "RESULT"])
                for key in response.reply.added { table.append([key, "added"]) }
                for key in response.reply.updated { table.append([key, "updated"]) }
                for key in response.reply.unchanged { table.append([key, "unchanged"]) }
                return table
            }
        }
    }
}

struct LicenseList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List licenses (admin).")

    @OptionGroup var admin: AdminOptions
    @Option(help: "Only this tenant's licenses.") var tenant: String?

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminListLicenses(tenant: tenant))
            printAdminReply(json: admin.json, response) { AdminTables.licenses(response.reply.licenses) }
        }
    }
}

struct LicenseSuspend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend", abstract: "Suspend a license: no new seats or heartbeats until resumed; sessions are kept."
    )
    @OptionGroup var admin: AdminOptions
    @Argument(help: "License key.") var key: String
    func run() async throws { try await changeLicenseState(.suspend, key: key, admin) }
}

struct LicenseResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a suspended license.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "License key.") var key: String
    func run() async throws { try await changeLicenseState(.resume, key: key, admin) }
}

struct LicenseRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a license for good: every session ends at once (holders are told)."
    )
    @OptionGroup var admin: AdminOptions
    @Argument(help: "License key.") var key: String
    func run() async throws { try await changeLicenseState(.revoke, key: key, admin) }
}

struct LicenseDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a license added or imported by an administrator; its sessions end (holders are told)."
    )
    @OptionGroup var admin: AdminOptions
    @Argument(help: "License key.") var key: String

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminDeleteLicense(key: key))
            printAdminReply(json: admin.json, response) {
                var table = AdminTables.licenses([response.reply.license])
                table.headers.append("SESSIONS ENDED")
                table.rows[0].append("\(response.reply.sessionsEnded)")
                return table
            }
        }
    }
}

private func changeLicenseState(_ change: AdminChangeLicenseState.Change, key: String, _ admin: AdminOptions) async throws {
    try await withAdminClient(admin) { client in
        let response = try await client.perform(AdminChangeLicenseState(change, key: key))
        printAdminReply(json: admin.json, response) { AdminTables.licenses([response.reply.license]) }
    }
}
