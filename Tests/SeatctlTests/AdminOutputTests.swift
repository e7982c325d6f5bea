import Foundation
import SeatClient
import SeatProtocol
@testable import seatctl
import Testing

/// What admin commands print, from fixed replies.
@Suite struct AdminOutputTests {
    func decode<Reply: Decodable>(_ type: Reply.Type, _ json: String) throws -> Reply {
        try AdminJSON.decoder().decode(type, from: Data(json.utf8))
    }

    @Test func aTableAlignsColumnsAndShowsEmptyCellsAsDashes() {
        var table = TextTable(headers: ["A", "LONGER", "C"])
        table.append(["wide value", "", "x"])
        table.append(["b", "2", ""])
        #expect(table.render() == """
            A           LONGER  C
            wide value  -       x
            b           2       -
            """)
    }

    @Test func sessionsTable() throws {
        let reply = try decode(AdminSessionsReply.self, """
            {"sessions": [
              {"id": "5f0c2a9b71d3e844", "license": "ACME-CAD-5", "tenant": "acme", "user": "ana", "host": "ws-17",
               "hardware_id": "b1946ac9", "client_version": "cad 4.2", "address": "10.0.0.17",
               "since": "2026-11-21T10:00:00.000Z", "last_heartbeat": "2026-11-21T10:05:00.250Z", "expires": "2026-11-21T10:06:30.250Z"},
              {"id": "77aa00bb11cc22dd", "license": "ACME-CAD-5", "tenant": "acme", "user": "bo", "host": "",
               "hardware_id": "h2", "client_version": "", "address": "10.0.0.9", "seat": "bo",
               "since": "2026-11-21T10:01:00.000Z", "last_heartbeat": "2026-11-21T10:01:00.000Z", "expires": "2026-11-28T10:01:00.000Z",
               "borrow_lease": "0123456789abcdef"}
            ]}
            """)
        #expect(AdminTables.sessions(reply.sessions).render() == """
            SESSION           LICENSE     TENANT  USER  HOST   SEAT  ADDRESS    SINCE                     LAST HEARTBEAT            EXPIRES                   BORROWED
            5f0c2a9b71d3e844  ACME-CAD-5  acme    ana   ws-17  -     10.0.0.17  2026-11-21T10:00:00.000Z  2026-11-21T10:05:00.250Z  2026-11-21T10:06:30.250Z  -
            77aa00bb11cc22dd  ACME-CAD-5  acme    bo    -      bo    10.0.0.9   2026-11-21T10:01:00.000Z  2026-11-21T10:01:00.000Z  2026-11-28T10:01:00.000Z  lease 0123456789abcdef
            """)
    }

    @Test func clusterTablesOfAStandby() throws {
        let reply = try decode(AdminStatusReply.self, """
            {"licenses": [], "cluster": {"node": "seat-b", "role": "standby", "epoch": 3, "active_node": "seat-a",
             "active_address": "seat-a:7420", "applied_sequence": 1200,
             "peers": [{"node": "seat-a", "address": "seat-a:7420", "role": "active", "applied_sequence": 1204, "seen": "2026-11-21T10:00:00.000Z"}]}}
            """)
        let cluster = try #require(reply.cluster)
        #expect(AdminTables.cluster(cluster).render() == """
            NODE    ROLE     EPOCH  ACTIVE NODE  ACTIVE ADDRESS  APPLIED
            seat-b  standby  3      seat-a       seat-a:7420     1200
            """)
        #expect(AdminTables.clusterPeers(cluster.peers).render() == """
            PEER    ADDRESS      ROLE    APPLIED  SEEN
            seat-a  seat-a:7420  active  1204     2026-11-21T10:00:00.000Z
            """)
        let single = try decode(AdminStatusReply.self, #"{"licenses": []}"#)
        #expect(single.cluster == nil)
    }

    @Test func licensesTable() throws {
        let reply = try decode(AdminLicensesReply.self, """
            {"licenses": [
              {"key": "ACME-CAD-5", "tenant": "acme", "seats": 5, "in_use": 5, "free": 0, "waiting": 2, "tier": "pro",
               "expires": "2027-12-31T23:59:59.000Z", "state": "active", "status": "valid", "origin": "admin", "borrowed": 1},
              {"key": "DEV-1", "tenant": "default", "seats": 1, "in_use": 0, "free": 1, "state": "suspended", "status": "suspended", "origin": "file"}
            ]}
            """)
        #expect(AdminTables.licenses(reply.licenses).render() == """
            LICENSE     TENANT   SEATS  IN USE  FREE  STATE      STATUS     TIER  EXPIRES                   ORIGIN  BORROWED  WAITING
            ACME-CAD-5  acme     5      5       0     active     valid      pro   2027-12-31T23:59:59.000Z  admin   1         2
            DEV-1       default  1      0       1     suspended  suspended  -     never                     file    -         0
            """)
    }

    @Test func queueTable() throws {
        let reply = try decode(AdminQueueReply.self, """
            {"waiters": [
              {"license": "ACME-CAD-5", "tenant": "acme", "user": "lena", "host": "ws-3", "hardware_id": "h3", "address": "10.0.0.3",
               "position": 1, "priority": 10, "since": "2026-11-21T10:02:00.000Z"},
              {"license": "ACME-CAD-5", "tenant": "acme", "user": "eric", "host": "", "hardware_id": "h4", "address": "10.0.0.4",
               "position": 2, "priority": 0, "since": "2026-11-21T10:01:00.000Z"}
            ]}
            """)
        #expect(AdminTables.waiters(reply.waiters).render() == """
            LICENSE     POSITION  PRIORITY  TENANT  USER  HOST  ADDRESS   SINCE
            ACME-CAD-5  1         10        acme    lena  ws-3  10.0.0.3  2026-11-21T10:02:00.000Z
            ACME-CAD-5  2         0         acme    eric  -     10.0.0.4  2026-11-21T10:01:00.000Z
            """)
    }

    @Test func licensesTableShowsTheOverageInUse() throws {
        let reply = try decode(AdminLicensesReply.self, """
            {"licenses": [
              {"key": "CAD-10", "tenant": "acme", "seats": 10, "in_use": 12, "free": 0, "overage": "1.25x", "overage_allowed": 2,
               "overage_in_use": 2, "state": "active", "status": "valid", "origin": "file", "borrowed": 1, "waiting": 1},
              {"key": "CAD-2", "tenant": "acme", "seats": 2, "in_use": 1, "free": 1, "overage": "+1", "overage_allowed": 1,
               "overage_in_use": 0, "state": "active", "status": "valid", "origin": "file"}
            ]}
            """)
        #expect(AdminTables.licenses(reply.licenses).render() == """
            LICENSE  TENANT  SEATS  IN USE              FREE  STATE   STATUS  TIER  EXPIRES  ORIGIN  BORROWED  WAITING
            CAD-10   acme    10     12/10 (+2 overage)  0     active  valid   -     never    file    1         1
            CAD-2    acme    2      1                   1     active  valid   -     never    file    -         0
            """)
    }

    @Test func policyTable() throws {
        let reply = try decode(AdminPolicyReply.self, #"{"policy_file": "p", "rules": 2, "licenses": [{"license": "ACME", "tenant": "acme", "seats": 5, "in_use": 3, "rules": [{"line": 4, "rule": "reserve 2 ACME group eng", "effect": "reserve", "principal": "group eng", "count": 2, "holding": 1}, {"line": 5, "rule": "exclude ACME user m", "effect": "exclude", "principal": "user m", "holding": 0}]}]}"#)
        #expect(AdminTables.policy(reply.licenses).render() == """
            LICENSE  TENANT  SEATS  IN USE  LINE  RULE                      HOLDING
            ACME     acme    5      3       4     reserve 2 ACME group eng  1
            ACME     acme    5      3       5     exclude ACME user m       0
            """)
    }

    @Test func tenantsKeysAndAuditTables() throws {
        let tenants = try decode(AdminTenantsReply.self, #"{"tenants": [{"id": "acme", "name": "ACME Corp", "created": "2026-11-20T08:00:00.000Z", "licenses": 3, "keys": 2}]}"#)
        #expect(AdminTables.tenants(tenants.tenants).render() == """
            TENANT  NAME       LICENSES  KEYS  CREATED
            acme    ACME Corp  3         2     2026-11-20T08:00:00.000Z
            """)
        let keys = try decode(AdminKeysReply.self, #"{"keys": [{"id": "00112233aabbccdd", "role": "admin", "created": "2026-11-20T08:00:00.000Z"}]}"#)
        #expect(AdminTables.keys(keys.keys).render() == """
            KEY               TENANT  ROLE   LABEL  CREATED                   REVOKED
            00112233aabbccdd  -       admin  -      2026-11-20T08:00:00.000Z  -
            """)
        let page = try decode(AuditPage.self, #"{"events": [{"seq": 42, "time": "2026-11-21T10:00:00.125Z", "kind": "grant", "license": "ACME-CAD-5", "user": "ana"}, {"seq": 43, "time": "2026-11-21T10:01:00.000Z", "kind": "refusal", "license": "NOPE", "detail": "unknownLicense", "count": 7400, "first": "2026-11-21T10:00:00.500Z", "last": "2026-11-21T10:00:59.250Z"}], "next": "43"}"#)
        #expect(AdminTables.auditEvents(page.events).render() == """
            SEQ  TIME                      KIND     COUNT  TENANT  LICENSE     USER  HOST  ADDRESS  DETAIL          SEEN
            42   2026-11-21T10:00:00.125Z  grant    -      -       ACME-CAD-5  ana   -     -        -               -
            43   2026-11-21T10:01:00.000Z  refusal  7400   -       NOPE        -     -     -        unknownLicense  2026-11-21T10:00:00.500Z..2026-11-21T10:00:59.250Z
            """)
    }

    @Test func auditJSONLinesAreTheEventsAsSent() throws {
        let lines = try Audit.jsonLines(ofEvents: #"{"events": [{"seq": 1, "kind": "grant", "time": "2026-11-21T10:00:00.000Z"}, {"seq": 2, "kind": "admin", "time": "2026-11-21T10:00:01.000Z", "extra": {"b": 1}}], "next": "2"}"#)
        #expect(lines == [
            #"{"kind":"grant","seq":1,"time":"2026-11-21T10:00:00.000Z"}"#,
            #"{"extra":{"b":1},"kind":"admin","seq":2,"time":"2026-11-21T10:00:01.000Z"}"#,
        ])
    }

    @Test(arguments: [
        (ErrorCode.authenticationFailed, seatctl.ExitStatus.notAuthorized), (.authenticationRequired, .notAuthorized),
        (.authenticationThrottled, .notAuthorized), (.notAuthorized, .notAuthorized), (.notFound, .notFound),
        (.conflict, .rejected), (.licenseNotVerified, .licenseRejected), (.invalidAdminRequest, .rejected),
        (.noSeats, .noSeats), (.policyDenied, .policyDenied), (.sessionRevoked, .sessionGone), (.storageFull, .serverError),
        (.notActive, .unreachable),
    ])
    func exitStatusOfARefusal(code: ErrorCode, status: seatctl.ExitStatus) {
        #expect(seatctl.ExitStatus(ErrorReply(code: code, message: "")) == status)
    }

    /// Every server was a standby: the refusal names the active node for scripts and people.
    @Test func aStandbyRefusalShowsTheActiveNode() {
        let fields = Output.fields(of: .activeNode(address: "seat-b:7420"))
        #expect(fields.map(\.0) == ["active_node"])
        #expect(fields.first?.1.text == "seat-b:7420")
    }

    @Test func exitCodesAreStable() {
        #expect(seatctl.ExitStatus.allCases.map(\.rawValue) == [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20])
        for status in seatctl.ExitStatus.allCases where status != .success {
            #expect(seatctl.ExitStatus.documentation.contains("\(status.rawValue) "))
        }
    }
}
