import Foundation
import Hummingbird
import HummingbirdTesting
import SeatCore
import SeatDashboard
import SeatLicensing
@testable import SeatServer
import Testing

/// The dashboard's routes in-process (HummingbirdTesting's router framework) over real
/// seats, a real store and real access keys, on the manual clock.
@Suite struct DashboardRouteTests {
    struct Dashboard {
        let seats: SeatServiceFixture
        let access: AccessRegistry
        let application: Application<RouterResponder<DashboardRequestContext>>
        let adminKey: String
        let clientKey: String
        let adminKeyID: String
    }

    /// LIC-1 with 2 seats (alice has held one for ten minutes), ACME-1 of tenant acme with 1; an admin key and
    /// a client key of acme; a throttle of 3 failures per minute.
    static func dashboard() async throws -> Dashboard {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 2), testLicense("ACME-1", seats: 1, tenant: "acme")])
        _ = try await seats.acquire("alice").get()
        // Ten minutes on: the charts cover time up to now, and alice has held her seat in it.
        seats.advance(milliseconds: 10 * 60_000)
        let access = try AccessRegistry(store: seats.store, clock: seats.clock, connections: seats.connections)
        let audit = AuditLog(store: seats.store, aggregationWindowSeconds: 60)
        let metrics = SeatMetrics()
        let reports = UsageReports(store: seats.store, service: seats.service, clock: seats.clock)
        let admin = AdminDispatcher(
            service: seats.service, access: access, audit: audit, reports: reports,
            hooks: .init(verifyLicenses: { _, _ in [] }, allowsUnsignedLicenses: { false }, reload: {}, shutdown: {}),
            borrowPublicKey: BorrowSigningKey.generate().publicKey, metrics: metrics, clock: seats.clock, logger: silentLogger)
        let bridge = DashboardBridge(
            service: seats.service, access: access, gate: AuthenticationGate(limit: 3, globalLimit: 100, windowSeconds: 60, clock: seats.clock),
            admin: admin, reports: reports, audit: audit, seatEvents: SeatEventLog(enabled: false, logger: silentLogger), metrics: metrics, clock: seats.clock)
        let routes = try DashboardRoutes(backend: bridge, sessionLifetimeSeconds: 3_600, secure: false)
        let (adminKey, adminSecret) = try await access.createKey(tenant: nil, role: .admin, label: "ops")
        try await access.ensureTenants(["acme"])
        let (_, clientSecret) = try await access.createKey(tenant: "acme", role: .client, label: "cad")
        return Dashboard(
            seats: seats, access: access, application: Application(router: routes.router()), adminKey: adminSecret, clientKey: clientSecret, adminKeyID: adminKey.id)
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&"))
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// Signs in with `key`; the `Cookie` header value of the new session.
    static func signIn(_ client: some TestClientProtocol, key: String) async throws -> String {
        try await client.execute(uri: "/login", method: .post, headers: formHeaders, body: form(["key": key])) { response in
            #expect(response.status == .seeOther)
            let setCookie = try #require(response.headers[.setCookie])
            return String(setCookie.prefix { $0 != ";" })
        }
    }

    static func page(_ client: some TestClientProtocol, _ uri: String, cookie: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie]) { ($0.status, String(buffer: $0.body)) }
    }

    /// The CSRF token in a page's forms.
    static func csrf(in page: String) throws -> String {
        let marker = #"name="csrf" value=""#
        let range = try #require(page.range(of: marker))
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test func pagesNeedASignInAndTheCookieIsLockedDown() async throws {
        let dashboard = try await Self.dashboard()
        defer { dashboard.seats.remove() }
        try await dashboard.application.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/login")
            }
            try await client.execute(uri: "/login", method: .post, headers: Self.formHeaders, body: Self.form(["key": dashboard.adminKey])) { response in
                let cookie = try #require(response.headers[.setCookie])
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"))
                #expect(cookie.contains("Max-Age=3600"))
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            }
        }
    }

    @Test func failedSignInsAreRefusedThenThrottledAndClientKeysMayNotSignIn() async throws {
        let dashboard = try await Self.dashboard()
        defer { dashboard.seats.remove() }
        try await dashboard.application.test(.router) { client in
            try await client.execute(uri: "/login", method: .post, headers: Self.formHeaders, body: Self.form(["key": dashboard.clientKey])) { response in
                #expect(response.status == .unauthorized, "a workstation's key is not a person's")
            }
            for _ in 0..<3 {
                try await client.execute(uri: "/login", method: .post, headers: Self.formHeaders, body: Self.form(["key": "not-a-key"])) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.setCookie] == nil)
                }
            }
            try await client.execute(uri: "/login", method: .post, headers: Self.formHeaders, body: Self.form(["key": "not-a-key"])) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "60")
            }
        }
    }

    @Test func theQueueShowsInTheOverviewAndOnTheLicensePage() async throws {
        let dashboard = try await Self.dashboard()
        defer { dashboard.seats.remove() }
        // ACME-1 has one seat: ana holds it, ben waits for it.
        _ = try await dashboard.seats.acquire("ana", license: "ACME-1").get()
        let (link, _) = testLink()
        guard case .success(.queued) = await dashboard.seats.acquireOrWait("ben", on: link, license: "ACME-1") else {
            Issue.record("ben was not queued")
            return
        }
        try await dashboard.application.test(.router) { client in
            let cookie = try await Self.signIn(client, key: dashboard.adminKey)
            let (_, overview) = try await Self.page(client, "/", cookie: cookie)
            let row = try #require(overview.range(of: #"<tr data-license="ACME-1">"#)).upperBound
            #expect(overview[row...].prefix(600).contains(#"<td class="waiting">1</td>"#), "\(overview)")
            let (status, page) = try await Self.page(client, "/licenses/ACME-1", cookie: cookie)
            #expect(status == .ok)
            #expect(page.contains(#"<tr><td class="position">1</td><td class="user">ben</td><td class="host">host-ben</td>"#), "\(page)")
            let (_, other) = try await Self.page(client, "/licenses/LIC-1", cookie: cookie)
            #expect(other.contains("Nobody is waiting."))
        }
    }

    @Test func theOverviewAndLicensePageShowTheSeatsInUse() async throws {
        let dashboard = try await Self.dashboard()
        defer { dashboard.seats.remove() }
        try await dashboard.application.test(.router) { client in
            let cookie = try await Self.signIn(client, key: dashboard.adminKey)
            let (status, overview) = try await Self.page(client, "/", cookie: cookie)
            #expect(status == .ok)
            #expect(overview.contains(#"<tr data-license="LIC-1"><td><a href="/licenses/LIC-1">LIC-1</a></td><td>default</td><td class="in-use">1</td><td class="seats">2</td>"#))
            #expect(overview.contains(#"data-license="ACME-1""#), "an admin key sees every tenant")

            let (licenseStatus, license) = try await Self.page(client, "/licenses/LIC-1", cookie: cookie)
            #expect(licenseStatus == .ok)
            #expect(license.contains(#"<span id="in-use">1</span> of <span id="seats">2</span>"#))
            #expect(license.contains(#"<td class="user">alice</td>"#))
            #expect(license.contains(#"class="step" data-peak="1""#), "this hour's peak is alice's seat")
            #expect(license.contains(#"class="seats" data-seats="2""#))
            for range in ["24h", "30d", "12m"] {
                let (rangeStatus, page) = try await Self.page(client, "/licenses/LIC-1?range=\(range)", cookie: cookie)
                #expect(rangeStatus == .ok && page.contains(#"class="step" data-peak="1""#), "range \(range)")
            }
            #expect(try await Self.page(client, "/licenses/NOPE", cookie: cookie).0 == .notFound)
        }
    }

    @Test func forceReleaseNeedsTheCSRFTokenAndFreesTheSeat() async throws {
        let dashboard = try await Self.dashboard()
        defer { dashboard.seats.remove() }
        let session = try #require(await dashboard.seats.service.sessions(matching: SessionFilter(licenseKey: "LIC-1")).first?.session)
        let id = SessionID(session.token).hex
        try await dashboard.application.test(.router) { client in
            let cookie = try await Self.signIn(client, key: dashboard.adminKey)
            let token = try Self.csrf(in: try await Self.page(client, "/licenses/LIC-1", cookie: cookie).1)
            var headers = Self.formHeaders
            headers[.cookie] = cookie
            try await client.execute(uri: "/licenses/LIC-1/release", method: .post, headers: headers, body: Self.form(["session": id])) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/licenses/LIC-1/release", method: .post, headers: headers, body: Self.form(["session": id, "csrf": String(token.reversed())])) { response in
                #expect(response.status == .forbidden)
            }
            #expect(await dashboard.seats.service.licenseSnapshot("LIC-1")?.seatsInUse == 1, "refused forms release nothing")
            try await client.execute(uri: "/licenses/LIC-1/release", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: Self.form(["session": id, "csrf": token])) { response in
                #expect(response.status == .forbidden, "without the session cookie")
            }
            try await client.execute(uri: "/licenses/LIC-1/release", method: .post, headers: headers, body: Self.form(["session": id, "csrf": token])) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/licenses/LIC-1?released=\(id)")
            }
            #expect(await dashboard.seats.service.licenseSnapshot("LIC-1")?.seatsInUse == 0)
            try await client.execute(uri: "/licenses/LIC-1/release", method: .post, headers: headers, body: Self.form(["session": id, "csrf": token])) { response in
                #expect(response.status == .notFound, "an ended session is not released twice")
            }
        }
    }

    @Test func aRevokedKeysSignInEndsAndSignOutEndsTheSession() async throws {
        let dashboard = try await Self.dashboard()
        defer { dashboard.seats.remove() }
        try await dashboard.application.test(.router) { client in
            let cookie = try await Self.signIn(client, key: dashboard.adminKey)
            let token = try Self.csrf(in: try await Self.page(client, "/", cookie: cookie).1)
            var headers = Self.formHeaders
            headers[.cookie] = cookie
            try await client.execute(uri: "/logout", method: .post, headers: headers, body: Self.form([:])) { response in
                #expect(response.status == .forbidden, "sign-out needs the token too")
            }
            try await client.execute(uri: "/logout", method: .post, headers: headers, body: Self.form(["csrf": token])) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
            #expect(try await Self.page(client, "/", cookie: cookie).0 == .seeOther)

            let again = try await Self.signIn(client, key: dashboard.adminKey)
            #expect(try await Self.page(client, "/", cookie: again).0 == .ok)
            _ = try await dashboard.access.revokeKey(dashboard.adminKeyID)
            #expect(try await Self.page(client, "/", cookie: again).0 == .seeOther)
        }
    }

    @Test func theCSVDownloadIsTheReportOperationsCSV() async throws {
        let dashboard = try await Self.dashboard()
        defer { dashboard.seats.remove() }
        dashboard.seats.advance(milliseconds: 30 * 60_000)
        let reports = UsageReports(store: dashboard.seats.store, service: dashboard.seats.service, clock: dashboard.seats.clock)
        let expected = try await reports.make(.usage, by: .hour, from: nil, to: nil, license: "LIC-1", tenant: nil, as: .administrator).report.csv
        try await dashboard.application.test(.router) { client in
            let cookie = try await Self.signIn(client, key: dashboard.adminKey)
            try await client.execute(uri: "/reports.csv?report=usage&by=hour&license=LIC-1", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(response.headers[.contentDisposition] == #"attachment; filename="seatd-usage-by-hour.csv""#)
                #expect(String(buffer: response.body) == expected)
                #expect(expected.hasPrefix("period_start,license,tenant,seats,peak_in_use"))
            }
            let (status, page) = try await Self.page(client, "/reports?report=usage&by=hour&license=LIC-1", cookie: cookie)
            #expect(status == .ok && page.contains("<td>LIC-1</td>"))
            let (badStatus, bad) = try await Self.page(client, "/reports?from=2026-02-30", cookie: cookie)
            #expect(badStatus == .ok && bad.contains("Dates are written YYYY-MM-DD."))
        }
    }
}

extension DashboardRouteTests {
    @Test func aTenantsViewerSeesOnlyItsTenantAndMayNotRelease() async throws {
        let dashboard = try await Self.dashboard()
        defer { dashboard.seats.remove() }
        _ = await dashboard.seats.acquire("carol", license: "ACME-1")
        let (_, viewerSecret) = try await dashboard.access.createKey(tenant: "acme", role: .viewer, label: "finance")
        let sessions = await dashboard.seats.service.sessions(matching: SessionFilter(licenseKey: "ACME-1"))
        let session = try #require(sessions.first?.session)
        try await dashboard.application.test(.router) { client in
            let cookie = try await Self.signIn(client, key: viewerSecret)
            let (_, overview) = try await Self.page(client, "/", cookie: cookie)
            #expect(overview.contains(#"data-license="ACME-1""#))
            #expect(!overview.contains(#"data-license="LIC-1""#), "another tenant's license is not listed")
            #expect(overview.contains("finance (viewer, tenant acme)"))
            #expect(try await Self.page(client, "/licenses/LIC-1", cookie: cookie).0 == .notFound)
            let (_, license) = try await Self.page(client, "/licenses/ACME-1", cookie: cookie)
            #expect(license.contains(#"<td class="user">carol</td>"#))
            #expect(!license.contains("Force release"), "a viewer is not offered the button")
            let (_, report) = try await Self.page(client, "/reports.csv?report=usage&by=day", cookie: cookie)
            #expect(report.contains("ACME-1") && !report.contains("LIC-1"))

            var headers = Self.formHeaders
            headers[.cookie] = cookie
            let token = try Self.csrf(in: license)
            try await client.execute(
                uri: "/licenses/ACME-1/release", method: .post, headers: headers, body: Self.form(["session": SessionID(session.token).hex, "csrf": token])
            ) { response in
                #expect(response.status == .forbidden)
            }
            #expect(await dashboard.seats.service.licenseSnapshot("ACME-1")?.seatsInUse == 1)
        }
    }

    @Test func aViewerKeyIsRefusedOnTheSeatProtocol() async throws {
        let dashboard = try await Self.dashboard()
        defer { dashboard.seats.remove() }
        let (_, viewerSecret) = try await dashboard.access.createKey(tenant: nil, role: .viewer, label: "")
        let (link, _) = testLink(principal: nil)
        guard case .failure(.viewerKey) = dashboard.access.authenticate(viewerSecret, on: link) else {
            Issue.record("a viewer key authenticated on the seat protocol")
            return
        }
        #expect(link.principal == nil)
    }
}
