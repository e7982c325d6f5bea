import ArgumentParser
import SeatClient

struct Key: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Manage access keys: what clients present to act for a tenant, or to administer (admin).",
        subcommands: [KeyCreate.self, KeyList.self, KeyRevoke.self]
    )
}

extension AdminKeyRole: ExpressibleByArgument {}

struct KeyCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an access key and print its secret (shown only this once)."
    )
    @OptionGroup var admin: AdminOptions
    @Option(help: "Tenant the key acts for (required for a client key).") var tenant: String?
    @Option(help: "client (seat requests for the tenant), admin (administration of every tenant) or viewer (read-only dashboard sign-in; for --tenant's licenses, or every tenant's without it).") var role: AdminKeyRole = .client
    @Option(help: "What the key is for, e.g. \"cad workstations\".") var label: String?

    func validate() throws {
        if role == .client, tenant == nil { throw ValidationError("a client key needs --tenant") }
    }

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminCreateKey(tenant: tenant, role: role, label: label))
            if admin.json {
                print(response.json)
            } else {
                print(AdminTables.keys([response.reply.key]).render())
                print("")
                print("secret: \(response.reply.secret)")
                Output.note("the secret is shown only now; give it to the client as SEATD_ACCESS_KEY (or accessKey in SeatClientConfiguration)")
            }
        }
    }
}

struct KeyList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List access keys (never their secrets).")
    @OptionGroup var admin: AdminOptions
    @Option(help: "Only this tenant's keys.") var tenant: String?

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminListKeys(tenant: tenant))
            printAdminReply(json: admin.json, response) { AdminTables.keys(response.reply.keys) }
        }
    }
}

struct KeyRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke an access key; connections authenticated with it are closed."
    )
    @OptionGroup var admin: AdminOptions
    @Argument(help: "Key id (16 hex digits, as key list shows).") var id: String

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminRevokeKey(id: id))
            printAdminReply(json: admin.json, response) { AdminTables.keys([response.reply.key]) }
        }
    }
}
