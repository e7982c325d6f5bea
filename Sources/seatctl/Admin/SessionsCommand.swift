import ArgumentParser
import SeatClient

struct Sessions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List live sessions; filters must all match exactly (admin).")

    @OptionGroup var admin: AdminOptions
    @Option(help: "Only sessions of this license.") var license: String?
    @Option(help: "Only sessions of this user.") var user: String?
    @Option(help: "Only sessions from this host name.") var host: String?
    @Option(help: "Only sessions of this tenant's licenses.") var tenant: String?

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminSessionsQuery(license: license, tenant: tenant, user: user, host: host))
            printAdminReply(json: admin.json, response) { AdminTables.sessions(response.reply.sessions) }
        }
    }
}

struct Queue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List who waits for a seat, in queue order per license (admin).")

    @OptionGroup var admin: AdminOptions
    @Option(help: "Only the queue of this license.") var license: String?
    @Option(help: "Only the queues of this tenant's licenses.") var tenant: String?

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminQueueQuery(license: license, tenant: tenant))
            printAdminReply(json: admin.json, response) { AdminTables.waiters(response.reply.waiters) }
        }
    }
}
