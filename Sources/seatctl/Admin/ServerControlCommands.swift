import ArgumentParser
import SeatClient

struct Reload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reload the configuration, licenses file and TLS files, like SIGHUP (admin).")

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminReload())
            print(admin.json ? response.json : "seatd reloaded its configuration")
        }
    }
}

struct Shutdown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop seatd gracefully, like SIGTERM (admin).")

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminShutdown())
            print(admin.json ? response.json : "seatd is stopping")
        }
    }
}
