import ArgumentParser
import Foundation
@testable import seatctl
import Testing

/// The admin commands' arguments, parsed as seatctl's root command parses them.
@Suite struct AdminArgumentTests {
    func parse<Command: ParsableCommand>(_ arguments: [String], as type: Command.Type) throws -> Command {
        let parsed = try Seatctl.parseAsRoot(arguments)
        guard let command = parsed as? Command else {
            Issue.record("\(arguments) parsed as \(Swift.type(of: parsed))")
            throw CancellationError()
        }
        return command
    }

    @Test func sessionsFilters() throws {
        let sessions = try parse(["sessions", "--license", "ACME-CAD-5", "--user", "ana", "--host", "ws-17", "--tenant", "acme", "--json"], as: Sessions.self)
        #expect(sessions.license == "ACME-CAD-5")
        #expect(sessions.user == "ana")
        #expect(sessions.host == "ws-17")
        #expect(sessions.tenant == "acme")
        #expect(sessions.admin.json)
    }

    @Test func releaseTakesATokenOrForceReleaseFiltersButNotBoth() throws {
        #expect(try parse(["release", "00112233445566778899aabbccddeeff"], as: Release.self).token == "00112233445566778899aabbccddeeff")
        let force = try parse(["release", "--user", "ana", "--host", "ws-17"], as: Release.self)
        #expect(force.token == nil)
        #expect(force.user == "ana")
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["release"]) }
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["release", "00112233445566778899aabbccddeeff", "--session", "5f0c"]) }
    }

    @Test func licenseSubcommands() throws {
        let add = try parse(["license", "add", "DEV-1", "--seats", "3", "--tenant", "acme", "--feature", "export=step", "--feature", "a=b=c", "--expires", "2027-12-31T23:59:59Z"], as: LicenseAdd.self)
        #expect(add.key == "DEV-1")
        #expect(add.seats == 3)
        #expect(try add.parsedFeatures() == ["export": "step", "a": "b=c"])
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["license", "add", "DEV-1", "--seats", "3", "--feature", "novalue"]) }
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["license", "add", "DEV-1", "--seats", "3", "--expires", "next week"]) }
        #expect(try parse(["license", "import", "licenses.json"], as: LicenseImport.self).file == "licenses.json")
        #expect(try parse(["license", "list", "--tenant", "acme"], as: LicenseList.self).tenant == "acme")
        #expect(try parse(["license", "suspend", "K"], as: LicenseSuspend.self).key == "K")
        #expect(try parse(["license", "resume", "K"], as: LicenseResume.self).key == "K")
        #expect(try parse(["license", "revoke", "K"], as: LicenseRevoke.self).key == "K")
        #expect(try parse(["license", "delete", "K"], as: LicenseDelete.self).key == "K")
    }

    @Test func tenantAndKeySubcommands() throws {
        let tenant = try parse(["tenant", "add", "acme", "--name", "ACME Corp"], as: TenantAdd.self)
        #expect(tenant.id == "acme")
        #expect(tenant.name == "ACME Corp")
        #expect(try parse(["tenant", "delete", "acme"], as: TenantDelete.self).id == "acme")
        _ = try parse(["tenant", "list"], as: TenantList.self)

        let key = try parse(["key", "create", "--tenant", "acme", "--label", "cad"], as: KeyCreate.self)
        #expect(key.role == .client)
        #expect(try parse(["key", "create", "--role", "admin"], as: KeyCreate.self).role == .admin)
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["key", "create"]) }
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["key", "create", "--tenant", "acme", "--role", "owner"]) }
        #expect(try parse(["key", "list", "--tenant", "acme"], as: KeyList.self).tenant == "acme")
        #expect(try parse(["key", "revoke", "3f9a0c1d2e4b5a69"], as: KeyRevoke.self).id == "3f9a0c1d2e4b5a69")
    }

    @Test func auditOptions() throws {
        let audit = try parse(["audit", "--kind", "grant", "--kind", "admin", "--since", "15m", "--limit", "20", "--follow"], as: Audit.self)
        #expect(audit.kinds == ["grant", "admin"])
        #expect(audit.limit == 20)
        #expect(audit.follow)
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["audit", "--limit", "0"]) }
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["audit", "--since", "yesterday"]) }
    }

    @Test func auditTimesAreISO8601OrAnAge() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(Audit.parseTime("90s", now: now) == now.addingTimeInterval(-90))
        #expect(Audit.parseTime("15m", now: now) == now.addingTimeInterval(-900))
        #expect(Audit.parseTime("2h", now: now) == now.addingTimeInterval(-7200))
        #expect(Audit.parseTime("7d", now: now) == now.addingTimeInterval(-604_800))
        #expect(Audit.parseTime("2026-11-21T10:00:00Z", now: now) == Date(timeIntervalSince1970: 1_795_255_200))
        #expect(Audit.parseTime("2026-11-21T10:00:00.250Z", now: now) == Date(timeIntervalSince1970: 1_795_255_200.25))
        #expect(Audit.parseTime("soon", now: now) == nil)
        #expect(Audit.parseTime("-5m", now: now) == nil)
    }

    @Test func theAdminChannelIsTheSocketUnlessServerIsGiven() throws {
        #expect(try parse(["status", "--admin-socket", "/tmp/a.sock"], as: Status.self).admin.channel == .socket(path: "/tmp/a.sock"))
        #expect(try parse(["status", "--server", "seatd.example.com:7420", "--ca", "ca.pem"], as: Status.self).admin.channel == .tls(servers: "seatd.example.com:7420"))
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["status", "--admin-socket", "/tmp/a.sock", "--server", "h:1"]) }
    }

    @Test func theDefaultSocketComesFromTheEnvironmentThenSystemdThenTheStateDirectory() {
        #expect(AdminOptions.defaultSocketPath(environment: ["SEATD_ADMIN_SOCKET": "/srv/seatd/admin.sock"], fileExists: { _ in true }) == "/srv/seatd/admin.sock")
        #expect(AdminOptions.defaultSocketPath(environment: [:], fileExists: { $0 == "/run/seatd/admin.sock" }) == "/run/seatd/admin.sock")
        #expect(AdminOptions.defaultSocketPath(environment: ["SEATD_ADMIN_SOCKET": ""], fileExists: { _ in false }) == "./state/admin.sock")
    }

    @Test func seatCommandsTakeAnAccessKey() throws {
        let acquire = try parse(["acquire", "--license", "K", "--access-key", "seatd_00112233aabbccdd_c2VjcmV0"], as: Acquire.self)
        #expect(acquire.server.effectiveAccessKey == "seatd_00112233aabbccdd_c2VjcmV0")
        #expect(try acquire.server.clientConfiguration().accessKey == "seatd_00112233aabbccdd_c2VjcmV0")
    }
}

@Suite struct AuditFollowTests {
    @Test func reconnectsSoonThenEveryFiveSeconds() {
        #expect((1...6).map { Audit.reconnectDelay(afterFailures: $0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5), .seconds(5)])
    }
}
