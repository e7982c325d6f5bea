import ArgumentParser
import Foundation
import SeatClient

/// How to reach the server; defaults come from SEATD_SERVER, SEATD_CA and SEATD_ACCESS_KEY,
/// then the demo setup.
struct ServerOptions: ParsableArguments {
    /// Optional so that admin commands can tell an explicit --server (admin over TLS)
    /// from the default (the admin socket); see ``servers``.
    @Option(name: .long, help: "Server as host[:port], or several separated by commas, tried in order (default: $SEATD_SERVER or localhost:7420).")
    var server: String?

    @Option(name: .long, help: "CA certificate (PEM) that signed the server's certificate (default: $SEATD_CA or ./state/tls/ca.pem).")
    var ca: String = ProcessInfo.processInfo.environment["SEATD_CA"] ?? "./state/tls/ca.pem"

    @Option(name: .long, help: "Seconds to wait for each reply.")
    var timeout: Double = 15

    @Option(name: .long, help: "Access key (seatd_<id>_<secret>) to authenticate with (default: $SEATD_ACCESS_KEY; prefer the variable, command lines are visible to other users).")
    var accessKey: String?

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    /// The servers to try: --server, else $SEATD_SERVER, else localhost:7420.
    var servers: String {
        server ?? ProcessInfo.processInfo.environment["SEATD_SERVER"] ?? "localhost:7420"
    }

    /// --access-key, else $SEATD_ACCESS_KEY; nil (anonymous) when neither is set or empty.
    var effectiveAccessKey: String? {
        let key = accessKey ?? ProcessInfo.processInfo.environment["SEATD_ACCESS_KEY"]
        return key?.isEmpty == false ? key : nil
    }

    func clientConfiguration() throws -> SeatClientConfiguration {
        let endpoints = try servers.split(separator: ",").map { entry in
            let (host, port) = try Self.split(entry.trimmingCharacters(in: .whitespaces))
            return ServerEndpoint(host: host, port: port)
        }
        guard !endpoints.isEmpty else { throw ValidationError("--server names no server") }
        return SeatClientConfiguration(
            servers: endpoints,
            trustRootsFile: ca,
            requestTimeout: .milliseconds(Int64(timeout * 1000)),
            clientName: "seatctl",
            accessKey: effectiveAccessKey
        )
    }

    /// `host`, `host:port`, `[v6]:port` or a bare IPv6 literal.
    static func split(_ server: String) throws -> (String, Int) {
        if server.hasPrefix("["), let close = server.firstIndex(of: "]") {
            let host = String(server[server.index(after: server.startIndex)..<close])
            let rest = server[server.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { throw ValidationError("invalid --server '\(server)'") }
            return (host, rest.isEmpty ? 7420 : try port(String(rest.dropFirst()), server))
        }
        let parts = server.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (server, 7420)
        case 2: return (String(parts[0]), try port(String(parts[1]), server))
        default: return (server, 7420)
        }
    }

    private static func port(_ text: String, _ server: String) throws -> Int {
        guard let port = Int(text), (1...65_535).contains(port) else { throw ValidationError("invalid port in --server '\(server)'") }
        return port
    }
}
