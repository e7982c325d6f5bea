import Foundation
import SeatClient
import Testing

/// Every reply shape of docs/admin-protocol.md decodes, and requests encode as documented.
@Suite struct AdminJSONTests {
    static let licenseJSON = """
        {"key": "ACME-CAD-5", "tenant": "acme", "seats": 5, "in_use": 2, "free": 3,
         "tier": "pro", "features": {"export": "step"}, "expires": "2027-12-31T23:59:59.000Z",
         "state": "active", "status": "valid", "origin": "admin",
         "serial": "S-0001", "issued": "2026-11-01T00:00:00.000Z", "signed_by": "0a1b2c3d4e5f6789"}
        """
    static let sessionJSON = """
        {"id": "5f0c2a9b71d3e844", "license": "ACME-CAD-5", "tenant": "acme", "user": "ana",
         "host": "ws-17", "hardware_id": "b1946ac9", "client_version": "cad 4.2",
         "address": "10.0.0.17", "since": "2026-11-21T10:00:00.000Z", "last_heartbeat": "2026-11-21T10:05:00.250Z",
         "expires": "2026-11-21T10:06:30.250Z"}
        """
    static let tenantJSON = #"{"id": "acme", "name": "ACME Corp", "created": "2026-11-20T08:00:00.000Z", "licenses": 3, "keys": 2}"#
    static let keyJSON = #"{"id": "3f9a0c1d2e4b5a69", "tenant": "acme", "role": "client", "label": "cad workstations", "created": "2026-11-20T08:00:00.000Z", "revoked": "2026-11-21T09:00:00.000Z"}"#
    static let adminKeyJSON = #"{"id": "00112233aabbccdd", "role": "admin", "created": "2026-11-20T08:00:00.000Z"}"#
    static let eventJSON = #"{"seq": 42, "time": "2026-11-21T10:00:00.125Z", "kind": "grant", "tenant": "acme", "license": "ACME-CAD-5", "user": "ana", "host": "ws-17", "address": "10.0.0.17", "detail": "session 5f0c2a9b71d3e844"}"#

    static func time(_ text: String) -> Date {
        AdminJSON.parseTime(text)!
    }

    func decode<Reply: Decodable>(_ type: Reply.Type, _ json: String) throws -> Reply {
        try AdminJSON.decoder().decode(type, from: Data(json.utf8))
    }

    static let license = AdminLicense(
        key: "ACME-CAD-5", tenant: "acme", seats: 5, inUse: 2, free: 3, tier: "pro", features: ["export": "step"],
        expires: time("2027-12-31T23:59:59.000Z"), state: "active", status: "valid", origin: "admin", serial: "S-0001",
        issued: time("2026-11-01T00:00:00.000Z"), signedBy: "0a1b2c3d4e5f6789"
    )

    @Test func licensesReply() throws {
        let reply = try decode(AdminLicensesReply.self, #"{"licenses": [\#(Self.licenseJSON), {"key": "DEV-1", "tenant": "default", "seats": 1, "in_use": 0, "free": 1, "state": "suspended", "status": "suspended", "origin": "file"}]}"#)
        #expect(reply.licenses[0] == Self.license)
        #expect(reply.licenses[1] == AdminLicense(key: "DEV-1", tenant: "default", seats: 1, inUse: 0, free: 1, state: "suspended", status: "suspended", origin: "file"))
    }

    @Test func sessionsAndReleasedReplies() throws {
        let expected = AdminSession(
            id: "5f0c2a9b71d3e844", license: "ACME-CAD-5", tenant: "acme", user: "ana", host: "ws-17", hardwareID: "b1946ac9",
            clientVersion: "cad 4.2", address: "10.0.0.17", since: Self.time("2026-11-21T10:00:00.000Z"),
            lastHeartbeat: Self.time("2026-11-21T10:05:00.250Z"), expires: Self.time("2026-11-21T10:06:30.250Z")
        )
        #expect(try decode(AdminSessionsReply.self, #"{"sessions": [\#(Self.sessionJSON)]}"#).sessions == [expected])
        #expect(try decode(AdminReleasedReply.self, #"{"released": [\#(Self.sessionJSON)]}"#).released == [expected])
        #expect(expected.lastHeartbeat.timeIntervalSince(expected.since) == 300.25)
    }

    @Test func licenseReplies() throws {
        #expect(try decode(AdminLicenseReply.self, #"{"license": \#(Self.licenseJSON)}"#).license == Self.license)
        let deleted = try decode(AdminLicenseDeletedReply.self, #"{"license": \#(Self.licenseJSON), "sessions_ended": 2}"#)
        #expect(deleted.license == Self.license)
        #expect(deleted.sessionsEnded == 2)
        let imported = try decode(AdminLicenseImportReply.self, #"{"added": ["A-1"], "updated": ["B-2", "C-3"], "unchanged": []}"#)
        #expect(imported.added == ["A-1"])
        #expect(imported.updated == ["B-2", "C-3"])
        #expect(imported.unchanged.isEmpty)
    }

    @Test func tenantReplies() throws {
        let tenant = AdminTenant(id: "acme", name: "ACME Corp", created: Self.time("2026-11-20T08:00:00.000Z"), licenses: 3, keys: 2)
        #expect(try decode(AdminTenantReply.self, #"{"tenant": \#(Self.tenantJSON)}"#).tenant == tenant)
        #expect(try decode(AdminTenantsReply.self, #"{"tenants": [\#(Self.tenantJSON)]}"#).tenants == [tenant])
    }

    @Test func keyReplies() throws {
        let revoked = AdminKey(
            id: "3f9a0c1d2e4b5a69", tenant: "acme", role: .client, label: "cad workstations",
            created: Self.time("2026-11-20T08:00:00.000Z"), revoked: Self.time("2026-11-21T09:00:00.000Z")
        )
        let adminKey = AdminKey(id: "00112233aabbccdd", role: .admin, created: Self.time("2026-11-20T08:00:00.000Z"))
        #expect(try decode(AdminKeysReply.self, #"{"keys": [\#(Self.keyJSON), \#(Self.adminKeyJSON)]}"#).keys == [revoked, adminKey])
        #expect(try decode(AdminKeyReply.self, #"{"key": \#(Self.keyJSON)}"#).key == revoked)
        let created = try decode(AdminKeyCreatedReply.self, #"{"key": \#(Self.adminKeyJSON), "secret": "seatd_00112233aabbccdd_c2VjcmV0"}"#)
        #expect(created.key == adminKey)
        #expect(created.secret == "seatd_00112233aabbccdd_c2VjcmV0")
    }

    @Test func auditPage() throws {
        let page = try decode(AuditPage.self, #"{"events": [\#(Self.eventJSON), {"seq": 43, "time": "2026-11-21T10:00:01.000Z", "kind": "admin"}], "next": "43"}"#)
        #expect(page.events == [
            AuditEventRecord(
                seq: 42, time: Self.time("2026-11-21T10:00:00.125Z"), kind: "grant", tenant: "acme", license: "ACME-CAD-5", user: "ana",
                host: "ws-17", address: "10.0.0.17", detail: "session 5f0c2a9b71d3e844"
            ),
            AuditEventRecord(seq: 43, time: Self.time("2026-11-21T10:00:01.000Z"), kind: "admin"),
        ])
        #expect(page.next == "43")
        let empty = try decode(AuditPage.self, #"{"events": [], "complete": true}"#)
        #expect(empty == AuditPage(events: [], next: nil, complete: true))
    }

    @Test func reloadAndShutdownReplies() throws {
        #expect(try decode(AdminReloadReply.self, #"{"reloaded": true}"#).reloaded)
        #expect(try decode(AdminShutdownReply.self, #"{"stopping": true}"#).stopping)
    }

    @Test func aReplyWithAWrongMemberDoesNotDecode() {
        #expect(throws: DecodingError.self) { try decode(AdminLicensesReply.self, #"{"licenses": [{"key": "A"}]}"#) }
        #expect(throws: DecodingError.self) { try decode(AdminTenantsReply.self, #"{"tenants": [{"id": "a", "created": "yesterday", "licenses": 0, "keys": 0}]}"#) }
    }

    /// JSON text with sorted keys, to compare documents whatever their member order.
    func canonical(_ json: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    func expectRequest(_ operation: some AdminOperation, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try canonical(SeatAdminClient.encode(operation)) == canonical(expected), sourceLocation: sourceLocation)
    }

    @Test func requestsCarryTheirOpAndLeaveAbsentArgumentsOut() throws {
        try expectRequest(AdminStatusQuery(), #"{"op": "status"}"#)
        try expectRequest(AdminSessionsQuery(license: "L", user: "ana"), #"{"op": "sessions", "license": "L", "user": "ana"}"#)
        try expectRequest(AdminForceRelease(session: "5f0c"), #"{"op": "release", "session": "5f0c"}"#)
        try expectRequest(AdminChangeLicenseState(.suspend, key: "K"), #"{"op": "license.suspend", "key": "K"}"#)
        try expectRequest(AdminChangeLicenseState(.revoke, key: "K"), #"{"op": "license.revoke", "key": "K"}"#)
        try expectRequest(AdminDeleteLicense(key: "K"), #"{"op": "license.delete", "key": "K"}"#)
        try expectRequest(AdminListLicenses(tenant: "acme"), #"{"op": "license.list", "tenant": "acme"}"#)
        try expectRequest(AdminCreateKey(tenant: "acme", role: .client, label: "cad"), #"{"op": "key.create", "tenant": "acme", "role": "client", "label": "cad"}"#)
        try expectRequest(AdminListKeys(), #"{"op": "key.list"}"#)
        try expectRequest(AdminRevokeKey(id: "3f9a"), #"{"op": "key.revoke", "id": "3f9a"}"#)
        try expectRequest(AdminAddTenant(id: "acme"), #"{"op": "tenant.add", "id": "acme"}"#)
        try expectRequest(AdminListTenants(), #"{"op": "tenant.list"}"#)
        try expectRequest(AdminDeleteTenant(id: "acme"), #"{"op": "tenant.delete", "id": "acme"}"#)
        try expectRequest(AdminReload(), #"{"op": "reload"}"#)
        try expectRequest(AdminShutdown(), #"{"op": "shutdown"}"#)
    }

    @Test func timesAreSentInUTCWithMilliseconds() throws {
        let since = Date(timeIntervalSince1970: 1_795_000_000.5)
        try expectRequest(
            AdminAuditQuery(since: since, kinds: ["grant", "admin"], after: "42", limit: 10),
            #"{"op": "audit", "since": "2026-11-18T11:06:40.500Z", "kinds": ["grant", "admin"], "after": "42", "limit": 10}"#
        )
        try expectRequest(
            AdminAddLicense(NewLicense(key: "K", seats: 5, features: ["a": "b"], expires: Date(timeIntervalSince1970: 1_830_297_599))),
            #"{"op": "license.add", "license": {"key": "K", "seats": 5, "features": {"a": "b"}, "expires": "2027-12-31T23:59:59.000Z"}}"#
        )
    }

    @Test func reportRequestAndReply() throws {
        try expectRequest(
            AdminReportQuery(report: "usage", license: "ACME-CAD-5", from: Date(timeIntervalSince1970: 1_795_000_000.5), by: "month"),
            #"{"op": "report", "report": "usage", "license": "ACME-CAD-5", "from": "2026-11-18T11:06:40.500Z", "by": "month"}"#
        )
        let reply = try decode(AdminReportReply.self, #"{"report": "trueup", "by": "hour", "from": "2026-11-01T00:00:00.000Z", "to": "2026-11-18T11:06:40.500Z", "columns": ["license", "seats", "peak_in_use", "average_in_use"], "rows": [{"license": "ACME-CAD-5", "seats": 5, "peak_in_use": 5, "average_in_use": 2.25}, {"license": "GONE", "peak_in_use": 1, "average_in_use": 0.5}]}"#)
        #expect(reply.columns == ["license", "seats", "peak_in_use", "average_in_use"])
        #expect(reply.rows[0] == ["license": .string("ACME-CAD-5"), "seats": .number(5), "peak_in_use": .number(5), "average_in_use": .number(2.25)])
        #expect(reply.rows[1]["seats"] == nil, "a cell without a value is left out")
        #expect(reply.to == Self.time("2026-11-18T11:06:40.500Z"))
    }

    @Test func anImportedDocumentPassesThroughUnchanged() throws {
        let documentText = #"{"licenses": [{"key": "A-1", "seats": 5, "features": {"x": "1"}, "signature": "abc", "perpetual": true, "ratio": 0.5, "note": null}]}"#
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(documentText.utf8))
        try expectRequest(AdminImportLicenses(document: document), #"{"op": "license.import", "document": \#(documentText)}"#)
    }
}
