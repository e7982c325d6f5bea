import Foundation
import SeatClient
import SeatProtocol
import Testing

/// seatctl's admin commands over the real daemon's admin socket: tables for people, the
/// server's JSON with --json, and the documented exit codes.
@Suite struct AdminSeatctlTests {
    /// The cells of the table line that starts with `first`.
    static func row(_ output: String, startingWith first: String) -> [String]? {
        output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }.first { $0.first == first }
    }

    static func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func statusSessionsAndForceReleaseAsTablesAndJSON() async throws {
        try await withDaemon(licenses: [TestLicense(key: "TEAM", seats: 3)]) { daemon in
            let admin = ["--admin-socket", try await daemon.adminSocket()]
            let connection = try await daemon.connect()
            _ = try await connection.acquire(licenseKey: "TEAM", user: "ana", hostname: "ws-1", hardwareID: "hw-1", clientVersion: "tests")

            let status = try await SeatctlProcess.run(["status"] + admin, daemon: daemon)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.hasPrefix("LICENSE"))
            #expect(Self.row(status.stdout, startingWith: "TEAM")?.prefix(7) == ["TEAM", "default", "3", "1", "2", "active", "valid"])

            let statusJSON = try await SeatctlProcess.run(["status", "--json"] + admin, daemon: daemon)
            let licenses = try #require(try Self.jsonObject(statusJSON.stdout)["licenses"] as? [[String: Any]])
            #expect(licenses.map { $0["in_use"] as? Int } == [1])

            let sessions = try await SeatctlProcess.run(["sessions", "--license", "TEAM"] + admin, daemon: daemon)
            #expect(sessions.status == 0, "\(sessions.stderr)")
            let sessionsJSON = try await SeatctlProcess.run(["sessions", "--user", "ana", "--json"] + admin, daemon: daemon)
            let listed = try #require(try Self.jsonObject(sessionsJSON.stdout)["sessions"] as? [[String: Any]])
            let id = try #require(listed.first?["id"] as? String)
            #expect(listed.count == 1)
            let sessionRow = try #require(Self.row(sessions.stdout, startingWith: id))
            #expect(sessionRow.prefix(7) == [id, "TEAM", "default", "ana", "ws-1", "-", "127.0.0.1"])

            let release = try await SeatctlProcess.run(["release", "--session", String(id.prefix(6))] + admin, daemon: daemon)
            #expect(release.status == 0, "\(release.stderr)")
            #expect(Self.row(release.stdout, startingWith: id) != nil)
            let after = try await SeatctlProcess.run(["sessions", "--json"] + admin, daemon: daemon)
            #expect((try Self.jsonObject(after.stdout)["sessions"] as? [Any])?.isEmpty == true)
            await connection.close()
        }
    }

    @Test func refusalsMapToTheDocumentedExitCodes() async throws {
        try await withDaemon(licenses: [TestLicense(key: "TEAM", seats: 1)]) { daemon in
            let admin = ["--admin-socket", try await daemon.adminSocket()]
            let nobody = try await SeatctlProcess.run(["release", "--user", "nobody"] + admin, daemon: daemon)
            #expect(nobody.status == 10)
            #expect(nobody.stderr.contains("notFound"))
            let noTenant = try await SeatctlProcess.run(["tenant", "delete", "no-such-tenant", "--json"] + admin, daemon: daemon)
            #expect(noTenant.status == 10)
            #expect(try Self.jsonObject(noTenant.stderr)["error"] as? String == "notFound")

            let added = try await SeatctlProcess.run(["tenant", "add", "acme", "--name", "ACME Corp"] + admin, daemon: daemon)
            #expect(added.status == 0, "\(added.stderr)")
            #expect(Self.row(added.stdout, startingWith: "acme")?.prefix(3) == ["acme", "ACME", "Corp"])
            let again = try await SeatctlProcess.run(["tenant", "add", "acme"] + admin, daemon: daemon)
            #expect(again.status == 11)
            #expect(again.stderr.contains("conflict"))

            let missing = try await SeatctlProcess.run(["status", "--admin-socket", daemon.stateDirectory + "/no-such.sock"], daemon: daemon)
            #expect(missing.status == 6)
            #expect(missing.stderr.contains("no-such.sock"))

            let reload = try await SeatctlProcess.run(["reload"] + admin, daemon: daemon)
            #expect(reload.status == 0, "\(reload.stderr)")
        }
    }

    @Test func licensesManagedThroughTheAdminChannel() async throws {
        try await withDaemon(licenses: [TestLicense(key: "FILE-1", seats: 1)]) { daemon in
            let admin = ["--admin-socket", try await daemon.adminSocket()]
            let add = try await SeatctlProcess.run(["license", "add", "DEV-2", "--seats", "2", "--tier", "pro", "--feature", "export=step"] + admin, daemon: daemon)
            #expect(add.status == 0, "\(add.stderr)")
            #expect(Self.row(add.stdout, startingWith: "DEV-2")?.prefix(8) == ["DEV-2", "default", "2", "0", "2", "active", "valid", "pro"])
            let suspend = try await SeatctlProcess.run(["license", "suspend", "DEV-2", "--json"] + admin, daemon: daemon)
            #expect((try Self.jsonObject(suspend.stdout)["license"] as? [String: Any])?["state"] as? String == "suspended")
            let list = try await SeatctlProcess.run(["license", "list"] + admin, daemon: daemon)
            #expect(Self.row(list.stdout, startingWith: "DEV-2")?[5] == "suspended")
            // ORIGIN, then BORROWED and WAITING (none of its seats is borrowed, nobody waits).
            #expect(Self.row(list.stdout, startingWith: "FILE-1")?.suffix(3) == ["file", "0", "0"])
            let resume = try await SeatctlProcess.run(["license", "resume", "DEV-2"] + admin, daemon: daemon)
            #expect(Self.row(resume.stdout, startingWith: "DEV-2")?[5] == "active")
            let delete = try await SeatctlProcess.run(["license", "delete", "DEV-2"] + admin, daemon: daemon)
            #expect(delete.status == 0, "\(delete.stderr)")
            let deleteFromFile = try await SeatctlProcess.run(["license", "delete", "FILE-1"] + admin, daemon: daemon)
            #expect(deleteFromFile.status == 11)
        }
    }

    @Test func auditPrintsJSONLines() async throws {
        try await withDaemon(licenses: [TestLicense(key: "TEAM", seats: 2)]) { daemon in
            let connection = try await daemon.connect()
            _ = try await connection.acquire(licenseKey: "TEAM", user: "ana", hostname: "ws-1", hardwareID: "hw-1", clientVersion: "tests")
            let audit = try await SeatctlProcess.run(["audit", "--json", "--kind", "grant", "--admin-socket", try await daemon.adminSocket()], daemon: daemon)
            #expect(audit.status == 0, "\(audit.stderr)")
            let lines = audit.stdout.split(separator: "\n")
            #expect(lines.count == 1)
            let event = try Self.jsonObject(String(try #require(lines.first)))
            #expect(event["kind"] as? String == "grant")
            #expect(event["user"] as? String == "ana")
            #expect(event["license"] as? String == "TEAM")

            // --follow prints events that happen after it started, until interrupted.
            let follow = try SeatctlProcess.start(["audit", "--json", "--follow", "--kind", "grant", "--admin-socket", try await daemon.adminSocket()], daemon: daemon)
            try await waitUntil("the first event") { follow.stdout.split(separator: "\n").count == 1 }
            _ = try await connection.acquire(licenseKey: "TEAM", user: "ben", hostname: "ws-2", hardwareID: "hw-2", clientVersion: "tests")
            try await waitUntil("the new event") { follow.stdout.split(separator: "\n").count == 2 }
            #expect(try Self.jsonObject(String(follow.stdout.split(separator: "\n")[1]))["user"] as? String == "ben")
            follow.signal(SIGINT)
            _ = try await follow.waitForExit()
            await connection.close()
        }
    }

    @Test func auditFollowReconnectsAcrossARestartAndGoesOnAfterTheLastEvent() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: "TEAM", seats: 3)], stateDirectory: stateDirectory, settings: DaemonProcess.durable)
        let connection = try await first.connect()
        _ = try await connection.acquire(licenseKey: "TEAM", user: "ana", hostname: "ws-1", hardwareID: "hw-1", clientVersion: "tests")
        await connection.close()
        let socket = try await first.adminSocket()
        let follow = try SeatctlProcess.start(["audit", "--json", "--follow", "--kind", "grant", "--admin-socket", socket], daemon: first)
        try await waitUntil("the first event") { follow.stdout.split(separator: "\n").count == 1 }
        let slot = await first.killKeepingSlot()
        try await waitUntil("seatctl to notice", timeout: .seconds(60)) { follow.stderr.contains("lost the connection to seatd") }
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: DaemonProcess.durable, slot: slot).use { second in
            try await waitUntil("seatctl to reconnect", timeout: .seconds(60)) { follow.stderr.contains("reconnected") }
            let again = try await second.connect()
            _ = try await again.acquire(licenseKey: "TEAM", user: "ben", hostname: "ws-2", hardwareID: "hw-2", clientVersion: "tests")
            try await waitUntil("the event after the restart") { follow.stdout.split(separator: "\n").count == 2 }
            let users = try follow.stdout.split(separator: "\n").map { try Self.jsonObject(String($0))["user"] as? String }
            #expect(users == ["ana", "ben"], "each event once, none repeated after the reconnect")
            #expect(follow.isRunning)
            follow.signal(SIGINT)
            _ = try await follow.waitForExit()
            await again.close()
        }
    }
}
