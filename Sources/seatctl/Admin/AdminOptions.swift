import ArgumentParser
import Foundation
import SeatClient

/// How an admin command reaches seatd: the admin Unix-domain socket (the default), or the
/// TLS port with an admin access key when --server is given.
struct AdminOptions: ParsableArguments {
    @OptionGroup var server: ServerOptions

    @Option(name: .long, help: ArgumentHelp(
        "seatd's admin socket (default: $SEATD_ADMIN_SOCKET, else /run/seatd/admin.sock if it exists, else ./state/admin.sock). With --server, admin goes over TLS with an admin --access-key instead.",
        valueName: "path"
    ))
    var adminSocket: String?

    var json: Bool { server.json }

    /// Where the admin connection goes.
    enum Channel: Equatable {
        case socket(path: String)
        case tls(servers: String)
    }

    var channel: Channel {
        if let adminSocket { return .socket(path: adminSocket) }
        // Only an explicit --server selects TLS: $SEATD_SERVER is for seat commands.
        if let servers = server.server { return .tls(servers: servers) }
        return .socket(path: Self.defaultSocketPath(environment: ProcessInfo.processInfo.environment, fileExists: FileManager.default.fileExists(atPath:)))
    }

    static func defaultSocketPath(environment: [String: String], fileExists: (String) -> Bool) -> String {
        if let path = environment["SEATD_ADMIN_SOCKET"], !path.isEmpty { return path }
        return fileExists(systemdSocketPath) ? systemdSocketPath : "./state/admin.sock"
    }

    /// Where the systemd unit puts the socket (RuntimeDirectory=seatd).
    static let systemdSocketPath = "/run/seatd/admin.sock"

    func validate() throws {
        if adminSocket != nil, server.server != nil {
            throw ValidationError("give either --admin-socket or --server, not both")
        }
    }

    func connect() async throws -> SeatAdminClient {
        let timeout = Duration.milliseconds(Int64(server.timeout * 1000))
        switch channel {
        case .socket(let path):
            return try await SeatAdminClient.connect(unixDomainSocketPath: path, requestTimeout: timeout, clientName: "seatctl")
        case .tls:
            return try await SeatAdminClient.connect(server.clientConfiguration())
        }
    }
}
