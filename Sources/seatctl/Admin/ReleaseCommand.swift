import ArgumentParser
import SeatClient
import SeatProtocol

/// Two jobs under one name, told apart by the arguments: a holder releases its own seat by
/// token (seat protocol), an administrator force-releases sessions by filter (admin channel).
struct Release: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release a seat by token (idempotent), or force-release sessions (admin).",
        discussion: """
            seatctl release TOKEN releases your own session. With --session, --user, --host or \
            --license instead, an administrator force-releases every live session that matches all \
            filters given: each ends as revoked, its seat is free at once, and a connected holder is \
            told at once (SessionRevoked).
            """
    )

    @OptionGroup var admin: AdminOptions
    @Argument(help: "Session token (32 hex digits) of your own session.") var token: String?
    @Option(help: "Force-release: the session id shown by `seatctl sessions` (or a unique prefix of at least 4 hex digits).")
    var session: String?
    @Option(help: "Force-release: the sessions of this user.") var user: String?
    @Option(help: "Force-release: the sessions from this host name.") var host: String?
    @Option(help: "Force-release: the sessions of this license.") var license: String?

    private var forceRelease: AdminForceRelease? {
        let filters = AdminForceRelease(session: session, license: license, user: user, host: host)
        return [session, license, user, host].contains { $0 != nil } ? filters : nil
    }

    func validate() throws {
        switch (token, forceRelease) {
        case (nil, nil): throw ValidationError("give a session token, or --session/--user/--host/--license to force-release")
        case (.some, .some): throw ValidationError("give either a session token or force-release filters, not both")
        default: break
        }
    }

    func run() async throws {
        if let forceRelease {
            try await withAdminClient(admin) { client in
                let response = try await client.perform(forceRelease)
                printAdminReply(json: admin.json, response) { AdminTables.sessions(response.reply.released) }
            }
            return
        }
        let token = try parseToken(token ?? "")
        let server = admin.server
        try await withConnection(server) { connection in
            let result = try await connection.release(token)
            Output.print(server.json, [
                ("ended", .bool(result.ended)),
                ("seats_total", .number(Double(result.seatsTotal))),
                ("seats_in_use", .number(Double(result.seatsInUse))),
                ("seats_free", .number(Double(result.seatsTotal) - Double(min(result.seatsInUse, result.seatsTotal)))),
            ])
        }
    }
}
