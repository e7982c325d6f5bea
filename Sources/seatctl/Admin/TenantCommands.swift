import ArgumentParser
import SeatClient

struct Tenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Manage tenants: the organizations licenses and access keys belong to (admin).",
        subcommands: [TenantAdd.self, TenantList.self, TenantDelete.self]
    )
}

struct TenantAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a tenant.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "Tenant id: 1 to 64 of a-z 0-9 . _ -") var id: String
    @Option(help: "Display name, e.g. \"ACME Corp\".") var name: String?

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminAddTenant(id: id, name: name))
            printAdminReply(json: admin.json, response) { AdminTables.tenants([response.reply.tenant]) }
        }
    }
}

struct TenantList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tenants.")
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminListTenants())
            printAdminReply(json: admin.json, response) { AdminTables.tenants(response.reply.tenants) }
        }
    }
}

struct TenantDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a tenant that has no licenses and no valid keys left.")
    @OptionGroup var admin: AdminOptions
    @Argument(help: "Tenant id.") var id: String

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminDeleteTenant(id: id))
            printAdminReply(json: admin.json, response) { AdminTables.tenants([response.reply.tenant]) }
        }
    }
}
