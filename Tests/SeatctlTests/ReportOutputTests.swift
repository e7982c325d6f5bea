import ArgumentParser
import Foundation
import SeatClient
@testable import seatctl
import Testing

/// `seatctl report`: its arguments, and its table and CSV from a fixed reply.
@Suite struct ReportOutputTests {
    static let reply = """
        {"report": "users", "by": "day", "from": "2026-11-01T00:00:00.000Z", "to": "2026-11-02T10:30:00.000Z",
         "columns": ["period_start", "license", "tenant", "user", "hours"],
         "rows": [
           {"period_start": "2026-11-01T00:00:00.000Z", "license": "ACME-CAD-5", "tenant": "acme", "user": "ana", "hours": 7.5},
           {"period_start": "2026-11-01T00:00:00.000Z", "license": "ACME-CAD-5", "tenant": "acme", "user": "Smith, \\"Bo\\"", "hours": 12},
           {"period_start": "2026-11-02T00:00:00.000Z", "license": "ACME-CAD-5", "tenant": "acme", "user": "ana", "hours": 0.05}
         ]}
        """

    func decode() throws -> AdminReportReply {
        try AdminJSON.decoder().decode(AdminReportReply.self, from: Data(Self.reply.utf8))
    }

    @Test func tableHasOneRowPerUserWithTwoDecimals() throws {
        #expect(ReportOutput.table(try decode()).render() == """
            PERIOD START              LICENSE     TENANT  USER         HOURS
            2026-11-01T00:00:00.000Z  ACME-CAD-5  acme    ana          7.50
            2026-11-01T00:00:00.000Z  ACME-CAD-5  acme    Smith, "Bo"  12
            2026-11-02T00:00:00.000Z  ACME-CAD-5  acme    ana          0.05
            """)
    }

    @Test func csvIsRFC4180WithAHeaderRow() throws {
        #expect(ReportOutput.csv(try decode()) == [
            "period_start,license,tenant,user,hours",
            "2026-11-01T00:00:00.000Z,ACME-CAD-5,acme,ana,7.50",
            "2026-11-01T00:00:00.000Z,ACME-CAD-5,acme,\"Smith, \"\"Bo\"\"\",12",
            "2026-11-02T00:00:00.000Z,ACME-CAD-5,acme,ana,0.05",
        ].map { $0 + "\r\n" }.joined())
    }

    @Test func argumentsAndFormats() throws {
        let parsed = try Seatctl.parseAsRoot(["report", "trueup", "--license", "CAD", "--tenant", "acme", "--from", "30d", "--to", "2026-12-01T00:00:00Z", "--by", "month", "--format", "csv"])
        let report = try #require(parsed as? Report)
        #expect(report.report == .trueup && report.license == "CAD" && report.tenant == "acme" && report.by == .month && report.outputFormat == .csv)
        #expect(try (Seatctl.parseAsRoot(["report", "usage", "--json"]) as? Report)?.outputFormat == .json)
        #expect(try (Seatctl.parseAsRoot(["report", "usage"]) as? Report)?.outputFormat == .table)
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["report", "usage", "--json", "--format", "csv"]) }
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["report", "usage", "--from", "yesterday"]) }
        #expect(throws: (any Error).self) { try Seatctl.parseAsRoot(["report", "peaks"]) }
    }
}
