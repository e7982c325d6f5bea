import ArgumentParser
import SeatClient

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show every license with its seats in use, and the node's role in its group with storage = postgresql (admin).")

    @OptionGroup var admin: AdminOptions
    @Option(help: "Only this tenant's licenses.") var tenant: String?

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminStatusQuery(tenant: tenant))
            if let cluster = response.reply.cluster, !admin.json {
                // The node's role first: on a standby the licenses table is empty.
                print(AdminTables.cluster(cluster).render())
                print(AdminTables.clusterPeers(cluster.peers).render())
            }
            printAdminReply(json: admin.json, response) { AdminTables.licenses(response.reply.licenses) }
        }
    }
}
