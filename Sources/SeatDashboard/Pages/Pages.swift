import Foundation
import Mustache
import SeatCore

/// Renders the dashboard's pages: the values each template needs, then the layout.
struct Pages: Sendable {
    private let library: MustacheLibrary

    init() throws {
        library = try PageTemplates.library()
    }

    /// A page: `template` with `values`, inside the layout (navigation when signed in).
    func render(_ template: String, title: String, values: [String: Any], user: DashboardUser?, csrf: String?) -> String {
        let body = library.render(values, withTemplate: template) ?? ""
        var layout: [String: Any] = ["title": title, "body": body]
        if let user {
            layout["user"] = ["label": user.label.isEmpty ? "key " + user.keyID : user.label, "role": user.roleName, "tenant": user.tenant ?? false, "csrf": csrf ?? ""] as [String: Any]
        }
        return library.render(layout, withTemplate: "layout") ?? ""
    }

    static func overview(_ licenses: [DashboardLicense]) -> [String: Any] {
        ["licenses": licenses.map { license -> [String: Any] in
            [
                "key": license.key, "href": licensePath(license.key), "tenant": license.tenant, "inUse": license.inUse, "seats": license.seats,
                "bar": SeatBar.svg(inUse: license.inUse, seats: license.seats), "status": license.status,
                "expires": license.expiresAt.map(minutes) ?? "never",
            ]
        }]
    }

    struct LicensePage {
        var license: DashboardLicense
        var sessions: [DashboardSession]
        var range: ChartRange
        var usage: UsageReport
        var denials: UsageReport
        var from: Timestamp
        var to: Timestamp
        var mayAct: Bool
        var csrf: String
        var notice: String?
    }

    static func license(_ page: LicensePage) -> [String: Any] {
        let license = page.license
        let denials = ReportSeries.hourlyDenials(page.denials, license: license.key)
        var values: [String: Any] = [
            "key": license.key, "tenant": license.tenant, "inUse": license.inUse, "seats": license.seats, "status": license.status,
            "expires": license.expiresAt.map(minutes) ?? false, "mayAct": page.mayAct, "csrf": page.csrf,
            "releaseHref": licensePath(license.key) + "/release",
            "sessions": page.sessions.map { session -> [String: Any] in
                ["id": session.id, "user": session.user, "host": session.host, "since": minutes(session.since), "leaseExpires": seconds(session.leaseExpiresAt)]
            },
            "ranges": ChartRange.allCases.map { range -> [String: Any] in
                ["name": range.rawValue, "href": licensePath(license.key) + "?range=" + range.rawValue, "selected": range == page.range]
            },
            "rangeTitle": page.range.title,
            "chart": SeatStepChart.svg(
                peaks: ReportSeries.peaks(page.usage, license: license.key), seats: license.seats, from: page.from, to: page.to, label: page.range.label),
            "heatmap": DenialHeatmap.svg(denials),
            "denialTotal": denials.reduce(0) { $0 + $1.count },
        ]
        if let notice = page.notice { values["notice"] = notice }
        return values
    }

    struct ReportsPage {
        var kind: UsageReportKind
        var period: UsagePeriod
        var from: String
        var to: String
        var license: String
        var result: DashboardReport?
        var problem: String?
        var csvQuery: String
    }

    static func reports(_ page: ReportsPage) -> [String: Any] {
        var values: [String: Any] = [
            "kinds": UsageReportKind.allCases.map { ["name": $0.rawValue, "selected": $0 == page.kind] as [String: Any] },
            "periods": UsagePeriod.allCases.map { ["name": $0.rawValue, "selected": $0 == page.period] as [String: Any] },
            "from": page.from, "to": page.to, "license": page.license,
        ]
        if let problem = page.problem { values["problem"] = problem }
        if let result = page.result {
            values["table"] = [
                "range": "\(result.from.iso8601) to \(result.to.iso8601)",
                "csvHref": "/reports.csv?" + page.csvQuery,
                "columns": result.report.columns,
                "rows": result.report.rows.map { ["cells": $0.map(\.text)] },
            ] as [String: Any]
        }
        return values
    }

    /// The license page's path; the key percent-encoded as a path segment.
    static func licensePath(_ key: String) -> String {
        "/licenses/" + (key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? key)
    }

    /// `2026-12-02 14:05 UTC`
    static func minutes(_ time: Timestamp) -> String {
        String(time.iso8601.prefix(16)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// `2026-12-02 14:05:09 UTC`
    static func seconds(_ time: Timestamp) -> String {
        String(time.iso8601.prefix(19)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }
}
