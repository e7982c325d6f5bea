import ArgumentParser
import Foundation
import SeatClient

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the audit log, oldest first (admin).",
        discussion: """
            --since and --until take an ISO 8601 time (2026-11-21T10:00:00Z) or an age such as \
            30s, 15m, 2h, 7d. With --json, prints one JSON object per event per line. --follow \
            keeps printing new events (polling every second) until interrupted.
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
        var query = AdminAuditQuery(
            since: since.flatMap { Self.parseTime($0, now: now) }, until: until.flatMap { Self.parseTime($0, now: now) },
            tenant: tenant, license: license, user: user, kinds: kinds.isEmpty ? nil : kinds, limit: limit ?? Self.pageSize
        )
        let json = admin.json
        try await withAdminClient(admin) { client in
            var printedHeader = false
            while true {
                let response = try await client.perform(query)
                let page = response.reply
                if json {
                    for line in try Self.jsonLines(ofEvents: response.json) { print(line) }
                } else if !page.events.isEmpty || !printedHeader {
                    // One header for the whole output, however many pages.
                    let lines = AdminTables.auditEvents(page.events).render().split(separator: "\n", omittingEmptySubsequences: false)
                    for line in lines.dropFirst(printedHeader ? 1 : 0) { print(line) }
                    printedHeader = true
                }
                // No `next` (nothing matched yet): ask again from the same place.
                if let next = page.next { query.after = next }
                let pageWasFull = page.complete.map { !$0 } ?? (page.events.count == query.limit)
                if pageWasFull, follow || limit == nil { continue }
                guard follow else { return }
                // Show each poll's events at once when piped (fflush(nil) flushes stdout).
                fflush(nil)
                try await Task.sleep(for: .seconds(1))
            }
        }
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
