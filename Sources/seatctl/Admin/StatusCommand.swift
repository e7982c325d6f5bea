import ArgumentParser
import SeatClient

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show every license with its seats in use (admin).")

    @OptionGroup var admin: AdminOptions
    @Option(help: "Only this tenant's licenses.") var tenant: String?

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminStatusQuery(tenant: tenant))
            printAdminReply(json: admin.json, response) { AdminTables.licenses(response.reply.licenses) }
        }
    }
}
