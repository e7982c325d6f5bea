import Foundation
import SeatCore
import SeatProtocol
import Testing

/// Force-release through the admin socket really revokes: the seat is free at once, the
/// connected holder is told by a SessionRevoked push, and the token is dead for good.
@Suite struct ForceReleaseTests {
    @Test func forceReleaseFreesTheSeatPushesTheNoticeAndKillsTheToken() async throws {
        try await withDaemon(licenses: [TestLicense(key: "ONE", seats: 1)]) { daemon in
            let holder = try await ProtocolProbe.client(daemon)
            let grant = try #require(try await holder.acquire("ONE", user: "ana").grant)
            let admin = try await ProtocolProbe.admin(daemon)

            let listed = try #require(try await admin.admin(["op": "sessions", "license": "ONE"])["sessions"] as? [[String: Any]])
            #expect(listed.count == 1)
            let session = try #require(listed.first)
            #expect(session["user"] as? String == "ana")
            #expect(session["host"] as? String == "ws-1")
            #expect(session["address"] as? String == "127.0.0.1")
            let id = try #require(session["id"] as? String)
            // The listing never carries the token, the holder's secret.
            let text = String(decoding: try JSONSerialization.data(withJSONObject: listed), as: UTF8.self)
            #expect(!text.contains(grant.token.hex))

            let released = try #require(try await admin.admin(["op": "release", "session": String(id.prefix(6))])["released"] as? [[String: Any]])
            #expect(released.map { $0["id"] as? String } == [id])

            // The holder is told at once, before any heartbeat.
            let push = await holder.nextPush()
            #expect(push == .sessionRevoked(SessionRevokedNotice(token: grant.token, reason: .forceReleased, message: "the session was released by an administrator")))
            // The seat is free immediately: another workstation gets it.
            let other = try await ProtocolProbe.client(daemon)
            let otherGrant = try #require(try await other.acquire("ONE", user: "ben").grant)
            #expect(otherGrant.seatsInUse == 1)
            // The old token is dead: a distinct error, and it cannot take the seat back.
            #expect(try await holder.request(.heartbeat(grant.token)).errorCode == .sessionRevoked)
            #expect(try await holder.request(.release(grant.token)) == .released(ReleaseResult(ended: false, seatsTotal: 1, seatsInUse: 1)))
            #expect(try await holder.acquire("ONE", user: "ana").errorCode == .noSeats)

            let audit = try #require(try await admin.admin(["op": "audit", "kinds": ["force_release"]])["events"] as? [[String: Any]])
            #expect(audit.count == 1)
            #expect((audit.first?["detail"] as? String)?.contains("session=\(id)") == true)
            // Attributed to the Unix user who connected to the admin socket.
            let actor = Self.unixActor()
            #expect((audit.first?["detail"] as? String)?.contains("by=\(actor)") == true, "\(audit)")
            let actions = try #require(try await admin.admin(["op": "audit", "kinds": ["admin"]])["events"] as? [[String: Any]])
            #expect(actions.last?["user"] as? String == actor)

            // A refused change is audited too, with why it was refused.
            #expect(try await admin.request(.admin(AdminRequest(json: #"{"op":"license.suspend","key":"NO-SUCH"}"#))).errorCode == .notFound)
            let refused = try #require(try await admin.admin(["op": "audit", "kinds": ["admin"]])["events"] as? [[String: Any]])
            let last = try #require(refused.last)
            #expect((last["detail"] as? String)?.hasPrefix("license.suspend NO-SUCH failed: notFound") == true, "\(last)")
            #expect(last["user"] as? String == actor)
            for probe in [holder, admin, other] { await probe.close() }
        }
    }

    @Test func forceReleaseByUserAndRevokedSessionsSurviveARestartAsRevoked() async throws {
        let daemon = try await DaemonProcess.start(licenses: [TestLicense(key: "TEAM", seats: 5)])
        var tokens: [SessionToken] = []
        try await daemon.use { daemon in
            let client = try await ProtocolProbe.client(daemon)
            for (user, host) in [("ana", "a1"), ("ana", "a2"), ("ben", "b1")] {
                tokens.append(try #require(try await client.acquire("TEAM", user: user, host: host, hardwareID: host).grant).token)
            }
            let admin = try await ProtocolProbe.admin(daemon)
            let released = try #require(try await admin.admin(["op": "release", "user": "ana"])["released"] as? [[String: Any]])
            #expect(released.count == 2)
            let missing = await #expect(throws: ErrorReply.self) { try await admin.admin(["op": "release", "user": "nobody"]) }
            #expect(missing?.code == .notFound)
            let vague = await #expect(throws: ErrorReply.self) { try await admin.admin(["op": "release"]) }
            #expect(vague?.code == .invalidAdminRequest)

            await daemon.kill()
            let restarted = try await DaemonProcess.start(stateDirectory: daemon.stateDirectory)
            try await restarted.use { restarted in
                let again = try await ProtocolProbe.client(restarted)
                #expect(try await again.request(.heartbeat(tokens[0])).errorCode == .sessionRevoked)
                #expect(try await again.request(.heartbeat(tokens[1])).errorCode == .sessionRevoked)
                guard case .heartbeatAccepted = try await again.request(.heartbeat(tokens[2])) else {
                    throw ProbeError("ben's session should have survived")
                }
                await again.close()
            }
        }
    }

    /// How the audit names the user running the tests on the admin socket.
    static func unixActor() -> String {
        let uid = getuid()
        let name = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "?"
        return "unix:\(name) (uid \(uid))"
    }
}
