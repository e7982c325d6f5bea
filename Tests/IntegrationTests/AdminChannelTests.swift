import Foundation
import SeatCore
import SeatProtocol
import Testing

/// The admin socket and the license, tenant and status operations, over the real daemon.
@Suite struct AdminChannelTests {
    @Test func theAdminSocketIsMode0660AndServesStatus() async throws {
        try await withDaemon(licenses: [TestLicense(key: "CAD", seats: 3, tier: "pro", expires: "2099-01-01T00:00:00Z")]) { daemon in
            let path = daemon.stateDirectory + "/admin.sock"
            try await daemon.waitForLog(containing: "msg=\"admin socket listening\"")
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o660)

            let client = try await ProtocolProbe.client(daemon)
            _ = try #require(try await client.acquire("CAD").grant)
            let admin = try await ProtocolProbe.admin(daemon)
            let status = try #require(try await admin.admin(["op": "status"])["licenses"] as? [[String: Any]])
            let cad = try #require(status.first)
            #expect(cad["key"] as? String == "CAD")
            #expect(cad["tenant"] as? String == "default")
            #expect(cad["seats"] as? Int == 3)
            #expect(cad["in_use"] as? Int == 1)
            #expect(cad["free"] as? Int == 2)
            #expect(cad["tier"] as? String == "pro")
            #expect(cad["expires"] as? String == "2099-01-01T00:00:00.000Z")
            #expect(cad["status"] as? String == "valid")
            #expect(cad["origin"] as? String == "file")

            for (request, code) in [("nonsense", ErrorCode.invalidAdminRequest), (#"{"op":"frobnicate"}"#, .invalidAdminRequest), (#"{"op":"license.suspend"}"#, .invalidAdminRequest), (#"{"op":"license.suspend","key":"NOPE"}"#, .notFound), (#"{"op":"license.suspend","key":"CAD"}"#, .conflict)] {
                #expect(try await admin.request(.admin(AdminRequest(json: request))).errorCode == code, "\(request)")
            }
            await client.close()
            await admin.close()
        }
    }

    @Test func addedLicensesCanBeSuspendedResumedRevokedAndDeleted() async throws {
        try await withDaemon(licenses: []) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            let added = try await admin.admin(["op": "license.add", "license": ["key": "NEW", "seats": 2, "tenant": "default"]])
            #expect((added["license"] as? [String: Any])?["origin"] as? String == "admin")
            let client = try await ProtocolProbe.client(daemon)
            let grant = try #require(try await client.acquire("NEW").grant)

            _ = try await admin.admin(["op": "license.suspend", "key": "NEW"])
            #expect(try await client.acquire("NEW", user: "ben").errorCode == .licenseSuspended)
            #expect(try await client.request(.heartbeat(grant.token)).errorCode == .licenseSuspended)
            _ = try await admin.admin(["op": "license.resume", "key": "NEW"])
            guard case .heartbeatAccepted = try await client.request(.heartbeat(grant.token)) else { throw ProbeError("resume did not restore the session") }

            let revoked = try await admin.admin(["op": "license.revoke", "key": "NEW"])
            #expect(revoked["sessions_ended"] as? Int == 1)
            #expect(await client.nextPush() == .sessionRevoked(SessionRevokedNotice(token: grant.token, reason: .licenseRevoked, message: "the license NEW was revoked by an administrator")))
            #expect(try await client.request(.heartbeat(grant.token)).errorCode == .sessionRevoked)
            #expect(try await client.acquire("NEW").errorCode == .licenseRevoked)
            let resume = await #expect(throws: ErrorReply.self) { try await admin.admin(["op": "license.resume", "key": "NEW"]) }
            #expect(resume?.code == .conflict)

            _ = try await admin.admin(["op": "license.delete", "key": "NEW"])
            #expect(try await client.acquire("NEW").errorCode == .unknownLicense)
            let audit = try #require(try await admin.admin(["op": "audit", "kinds": ["admin"]])["events"] as? [[String: Any]])
            let details = audit.compactMap { $0["detail"] as? String }
            // The refused resume is on record, with its reason.
            #expect(details.map { $0.hasPrefix("license.resume NEW failed: conflict") ? "refused resume" : $0 }
                == ["license.add", "license.suspend NEW", "license.resume NEW", "license.revoke NEW", "refused resume", "license.delete NEW"], "\(details)")
            await client.close()
            await admin.close()
        }
    }

    @Test func tenantsAreAddedListedAndDeletedOnlyWhenUnused() async throws {
        try await withDaemon(licenses: [TestLicense(key: "ACME-1", seats: 1, tenant: "acme")]) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            _ = try await admin.admin(["op": "tenant.add", "id": "initech", "name": "Initech"])
            let duplicate = await #expect(throws: ErrorReply.self) { try await admin.admin(["op": "tenant.add", "id": "initech"]) }
            #expect(duplicate?.code == .conflict)
            let invalid = await #expect(throws: ErrorReply.self) { try await admin.admin(["op": "tenant.add", "id": "Bad Name"]) }
            #expect(invalid?.code == .invalidAdminRequest)

            let tenants = try #require(try await admin.admin(["op": "tenant.list"])["tenants"] as? [[String: Any]])
            #expect(tenants.compactMap { $0["id"] as? String } == ["acme", "initech"])
            #expect(tenants.first?["licenses"] as? Int == 1)

            let inUse = await #expect(throws: ErrorReply.self) { try await admin.admin(["op": "tenant.delete", "id": "acme"]) }
            #expect(inUse?.code == .conflict)
            let created = try await admin.admin(["op": "key.create", "tenant": "initech"])
            let keyID = try #require((created["key"] as? [String: Any])?["id"] as? String)
            let withKey = await #expect(throws: ErrorReply.self) { try await admin.admin(["op": "tenant.delete", "id": "initech"]) }
            #expect(withKey?.code == .conflict)
            _ = try await admin.admin(["op": "key.revoke", "id": keyID])
            _ = try await admin.admin(["op": "tenant.delete", "id": "initech"])
            let after = try #require(try await admin.admin(["op": "tenant.list"])["tenants"] as? [[String: Any]])
            #expect(after.compactMap { $0["id"] as? String } == ["acme"])
            await admin.close()
        }
    }

    @Test func reloadAndShutdownAreAdminOperations() async throws {
        try await withDaemon(licenses: [TestLicense(key: "OLD", seats: 1)]) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            try TestLicense.write([TestLicense(key: "OLD", seats: 1), TestLicense(key: "NEW", seats: 4)], to: daemon.licensesFile)
            #expect(try await admin.admin(["op": "reload"])["reloaded"] as? Bool == true)
            let keys = try #require(try await admin.admin(["op": "license.list"])["licenses"] as? [[String: Any]]).compactMap { $0["key"] as? String }
            #expect(keys == ["NEW", "OLD"])

            // A broken file is rejected with the reason; the licenses in force stay.
            try "{ not json".write(toFile: daemon.licensesFile, atomically: true, encoding: .utf8)
            let rejected = await #expect(throws: ErrorReply.self) { try await admin.admin(["op": "reload"]) }
            #expect(rejected?.code == .conflict)
            #expect(rejected?.message.contains("licenses file invalid") == true)

            #expect(try await admin.admin(["op": "shutdown"])["stopping"] as? Bool == true)
            await daemon.waitForExit()
            #expect(!daemon.isRunning)
            #expect(daemon.exitStatus == 0)
            #expect(!FileManager.default.fileExists(atPath: daemon.stateDirectory + "/admin.sock"))
        }
    }

    /// The socket's mode is the guard: a user who is neither seatd's user nor in its group
    /// cannot administer it, while the owner can. (Needs root to switch users; skipped otherwise.)
    @Test(.enabled(if: getuid() == 0, "switching to another user needs root"))
    func usersOutsideTheAdminGroupAreRefusedByTheSocketsPermissions() async throws {
        try await withDaemon(licenses: [TestLicense(key: "CAD", seats: 1)], settings: ["admin_socket_group": ""]) { daemon in
            try await daemon.waitForLog(containing: "msg=\"admin socket listening\"")
            // Let any user reach the socket file itself, so only its own mode decides.
            chmod(daemon.stateDirectory, 0o755)
            let socket = daemon.stateDirectory + "/admin.sock"
            let asNobody = try await ChildCommand.run("/usr/bin/setpriv", [
                "--reuid=65534", "--regid=65534", "--clear-groups", SeatctlProcess.binary, "status", "--admin-socket", socket,
            ])
            #expect(asNobody.status == 9, "\(asNobody.output)")
            #expect(asNobody.output.contains("permission denied on the admin socket"), "\(asNobody.output)")
            let asOwner = try await ChildCommand.run(SeatctlProcess.binary, ["status", "--admin-socket", socket])
            #expect(asOwner.status == 0, "\(asOwner.output)")
            #expect(asOwner.output.contains("CAD"))
        }
    }
}
