import ArgumentParser
import Foundation
import SeatClient
import SeatProtocol

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the audit log, oldest first (admin).",
        discussion: """
            --since and --until take an ISO 8601 time (2026-11-21T10:00:00Z) or an age such as \
            30s, 15m, 2h, 7d. With --json, prints one JSON object per event per line. --follow \
            keeps printing new events (polling every second) until interrupted; when seatd \
            restarts it says so on stderr, reconnects and goes on after the last event shown.
            """
    )

    @OptionGroup var admin: AdminOptions
    @Option(help: ArgumentHelp("Events at or after this time.", valueName: "time|age")) var since: String?
    @Option(help: ArgumentHelp("Events before this time.", valueName: "time|age")) var until: String?
    @Option(help: "Only events of this license.") var license: String?
    @Option(help: "Only events of this user.") var user: String?
    @Option(help: "Only events of this tenant.") var tenant: String?
    @Option(name: .customLong("kind"), help: ArgumentHelp("Only events of this kind (grant, refusal, release, expiry, force_release, auth_failure, admin); repeatable.", valueName: "kind"))
    var kinds: [String] = []
    @Option(help: "At most this many events (1 to 10000); without it, every matching event.") var limit: Int?
    @Flag(help: "Keep printing new events until interrupted.") var follow = false

    /// Events per request when no --limit is given.
    static let pageSize = 1000

    func validate() throws {
        if let limit, !(1...10_000).contains(limit) { throw ValidationError("--limit takes 1 to 10000") }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, Self.parseTime(value, now: Date()) == nil {
                throw ValidationError("\(name) takes an ISO 8601 time or an age like 15m, got '\(value)'")
            }
        }
    }

    /// An ISO 8601 time, or an age (`30s`, `15m`, `2h`, `7d`) before `now`.
    static func parseTime(_ text: String, now: Date) -> Date? {
        if let time = AdminJSON.parseTime(text) { return time }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()), count >= 0 else { return nil }
        return now.addingTimeInterval(-count * unit)
    }

    func run() async throws {
        let now = Date()
        var reader = AuditReader(
            query: AdminAuditQuery(
                since: since.flatMap { Self.parseTime($0, now: now) }, until: until.flatMap { Self.parseTime($0, now: now) },
                tenant: tenant, license: license, user: user, kinds: kinds.isEmpty ? nil : kinds, limit: limit ?? Self.pageSize
            ),
            json: admin.json, follow: follow, limited: limit != nil
        )
        guard follow else {
            try await withAdminClient(admin) { client in try await reader.read(from: client) }
            return
        }
        try await followAcrossReconnects(&reader)
    }

    /// --follow outlives seatd restarts: a lost connection is said on stderr and made
    /// again (after `reconnectDelay`), and the output goes on after the last event shown.
    /// Only the first connection fails the command (a wrong socket path or server).
    private func followAcrossReconnects(_ reader: inout AuditReader) async throws {
        var client = try await connectAdminClient(admin)
        var failures = 0
        while true {
            do {
                try await reader.read(from: client)
                return
            } catch let reply as ErrorReply {
                await client.close()
                throw reportRefusal(reply, json: admin.json)
            } catch {
                await client.close()
                Output.note("lost the connection to seatd (\(error)); reconnecting")
            }
            while true {
                failures += 1
                try await Task.sleep(for: Self.reconnectDelay(afterFailures: failures))
                do {
                    client = try await admin.connect()
                    Output.note("reconnected; showing the events since the last one shown")
                    failures = 0
                    break
                } catch let reply as ErrorReply {
                    throw reportRefusal(reply, json: admin.json)
                } catch {
                    if failures == 1 { Output.note("seatd is unreachable (\(error)); still trying") }
                }
            }
        }
    }

    /// 1 s, 2 s, 4 s, then every 5 s: a restart takes a few seconds.
    static func reconnectDelay(afterFailures failures: Int) -> Duration {
        .seconds(min(5, 1 << min(max(failures - 1, 0), 3)))
    }

    /// One line of JSON per event of an audit reply, each event exactly as the server sent it.
    static func jsonLines(ofEvents replyJSON: String) throws -> [String] {
        guard let reply = try JSONSerialization.jsonObject(with: Data(replyJSON.utf8)) as? [String: Any],
            let events = reply["events"] as? [Any]
        else { return [] }
        return try events.map { event in
            String(decoding: try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        }
    }
}

/// Pages through the audit log from `query`, printing each event once: `query.after`
/// moves past what was shown, so a reader given a new connection goes on where it was.
struct AuditReader {
    var query: AdminAuditQuery
    let json: Bool
    let follow: Bool
    /// --limit given: one page, unless following.
    let limited: Bool
    private var printedHeader = false

    init(query: AdminAuditQuery, json: Bool, follow: Bool, limited: Bool) {
        self.query = query
        self.json = json
        self.follow = follow
        self.limited = limited
    }

    /// Returns when everything matching is printed (never, when following).
    mutating func read(from client: SeatAdminClient) async throws {
        while true {
            let response = try await client.perform(query)
            let page = response.reply
            if json {
                for line in try Audit.jsonLines(ofEvents: response.json) { print(line) }
            } else if !page.events.isEmpty || !printedHeader {
                // One header for the whole output, however many pages.
                let lines = AdminTables.auditEvents(page.events).render().split(separator: "\n", omittingEmptySubsequences: false)
                for line in lines.dropFirst(printedHeader ? 1 : 0) { print(line) }
                printedHeader = true
            }
            // No `next` (nothing matched yet): ask again from the same place.
            if let next = page.next { query.after = next }
            let pageWasFull = page.complete.map { !$0 } ?? (page.events.count == query.limit)
            if pageWasFull, follow || !limited { continue }
            guard follow else { return }
            // Show each poll's events at once when piped (fflush(nil) flushes stdout).
            fflush(nil)
            try await Task.sleep(for: .seconds(1))
        }
    }
}
