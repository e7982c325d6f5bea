import Foundation
import Hummingbird
import SeatCore

/// The dashboard's routes: each finds the signed-in user, asks the backend, and renders
/// a page. Everything the pages show is decided by the backend and the pure parts.
public struct DashboardRoutes: Sendable {
    let backend: any DashboardBackend
    let signIns: SignIns
    let pages: Pages
    /// Served over TLS: cookies get `Secure`.
    let secure: Bool

    public init(backend: any DashboardBackend, sessionLifetimeSeconds: Int64, secure: Bool) throws {
        self.backend = backend
        signIns = SignIns(lifetimeSeconds: sessionLifetimeSeconds, now: { backend.now() })
        pages = try Pages()
        self.secure = secure
    }

    public func router() -> Router<DashboardRequestContext> {
        let router = Router(context: DashboardRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.get("/static/dashboard.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Stylesheet.css)))
        }
        router.get("/login") { _, _ in html(.ok, pages.render("signin", title: "Sign in", values: [:], user: nil, csrf: nil)) }
        router.post("/login") { request, context in try await signIn(request, context) }
        router.post("/logout") { request, context in try await signOut(request, context) }
        router.get("/") { request, _ in
            try await signedIn(request) { user, session in
                let licenses = await backend.licenses(for: user)
                return html(.ok, pages.render("overview", title: "Licenses", values: Pages.overview(licenses), user: user, csrf: session.csrfToken))
            }
        }
        router.get("/licenses/:license") { request, context in
            try await signedIn(request) { user, session in try await licensePage(request, context, user, session) }
        }
        router.post("/licenses/:license/release") { request, context in try await release(request, context) }
        router.get("/reports") { request, _ in
            try await signedIn(request) { user, session in
                let page = await reportsPage(request, user)
                return html(.ok, pages.render("reports", title: "Reports", values: Pages.reports(page), user: user, csrf: session.csrfToken))
            }
        }
        router.get("/reports.csv") { request, _ in
            try await signedIn(request) { user, _ in
                let page = await reportsPage(request, user)
                guard let result = page.result else { return message(.badRequest, "No report", page.problem ?? "no report", user: user, csrf: nil) }
                let name = "seatd-\(page.kind.rawValue)-by-\(page.period.rawValue).csv"
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
                    body: .init(byteBuffer: ByteBuffer(string: result.report.csv)))
            }
        }
        return router
    }

    // MARK: Sign-in

    private struct SignInForm: Decodable {
        var key: String
    }

    private func signIn(_ request: Request, _ context: DashboardRequestContext) async throws -> Response {
        let key = (try? await URLEncodedFormDecoder().decode(SignInForm.self, from: request, context: context))?.key ?? ""
        switch await backend.signIn(accessKey: key.trimmingCharacters(in: .whitespacesAndNewlines), from: context.peerAddress) {
        case .signedIn(let user):
            let session = signIns.open(keyID: user.keyID)
            return Response(status: .seeOther, headers: [
                .location: "/", .setCookie: SessionCookie.setCookie(session.id, maxAgeSeconds: signIns.lifetimeSeconds, secure: secure),
            ])
        case .refused:
            return html(.unauthorized, pages.render("signin", title: "Sign in", values: ["problem": "That access key is unknown, revoked or may not use the dashboard."], user: nil, csrf: nil))
        case .throttled(let seconds):
            var response = html(.tooManyRequests, pages.render("signin", title: "Sign in", values: ["problem": "Too many failed sign-ins from your address; try again in \(seconds) s."], user: nil, csrf: nil))
            response.headers[.retryAfter] = "\(seconds)"
            return response
        }
    }

    private struct ActionForm: Decodable {
        var csrf: String?
        var session: String?
    }

    private func signOut(_ request: Request, _ context: DashboardRequestContext) async throws -> Response {
        let form = try? await URLEncodedFormDecoder().decode(ActionForm.self, from: request, context: context)
        if let id = SessionCookie.sessionID(inCookieHeader: request.headers[.cookie]), let session = signIns.session(id) {
            guard CSRFToken.matches(form?.csrf, expected: session.csrfToken) else { return forbidden("The form is missing its CSRF token; reload the page.") }
            signIns.close(id)
        }
        return Response(status: .seeOther, headers: [.location: "/login", .setCookie: SessionCookie.clearCookie(secure: secure)])
    }

    /// Runs `page` for the signed-in user; without a valid sign-in, to the sign-in page.
    private func signedIn(_ request: Request, _ page: (DashboardUser, SignInSession) async throws -> Response) async throws -> Response {
        guard let (user, session) = await currentUser(request) else {
            return Response(status: .seeOther, headers: [.location: "/login"])
        }
        return try await page(user, session)
    }

    private func currentUser(_ request: Request) async -> (DashboardUser, SignInSession)? {
        guard let id = SessionCookie.sessionID(inCookieHeader: request.headers[.cookie]), let session = signIns.session(id) else { return nil }
        guard let user = await backend.user(keyID: session.keyID) else {
            // The key was revoked since: its sign-ins end with it.
            signIns.close(id)
            return nil
        }
        return (user, session)
    }

    // MARK: License page and force-release

    private func licensePage(_ request: Request, _ context: DashboardRequestContext, _ user: DashboardUser, _ session: SignInSession) async throws -> Response {
        let key = context.parameters.get("license")?.removingPercentEncoding ?? ""
        guard let license = await backend.licenses(for: user).first(where: { $0.key == key }) else {
            return message(.notFound, "No such license", "There is no license \(key) you may see.", user: user, csrf: session.csrfToken)
        }
        let range = request.uri.queryParameters.get("range").flatMap(ChartRange.init(rawValue:)) ?? .day
        let now = backend.now()
        let from = range.start(endingAt: now)
        do {
            let usage = try await backend.report(.usage, by: range.period, from: from, to: now, license: key, for: user)
            let denials = try await backend.report(.denials, by: .hour, from: from, to: now, license: key, for: user)
            let released = request.uri.queryParameters.get("released")
            let page = Pages.LicensePage(
                license: license, sessions: await backend.sessions(license: key, for: user), range: range, usage: usage.report, denials: denials.report,
                from: usage.from, to: usage.to, mayAct: user.mayAct, csrf: session.csrfToken,
                notice: released.map { "Session \($0) was released." })
            return html(.ok, pages.render("license", title: key, values: Pages.license(page), user: user, csrf: session.csrfToken))
        } catch {
            return message(.internalServerError, "Usage not available", error.message, user: user, csrf: session.csrfToken)
        }
    }

    private func release(_ request: Request, _ context: DashboardRequestContext) async throws -> Response {
        guard let (user, session) = await currentUser(request) else { return forbidden("Sign in first.") }
        let form = try? await URLEncodedFormDecoder().decode(ActionForm.self, from: request, context: context)
        guard CSRFToken.matches(form?.csrf, expected: session.csrfToken) else { return forbidden("The form is missing its CSRF token; reload the page.") }
        guard user.mayAct else { return forbidden("A viewer key may look, not release seats; sign in with an admin key.") }
        let key = context.parameters.get("license")?.removingPercentEncoding ?? ""
        guard let sessionID = form?.session, !sessionID.isEmpty else { return message(.badRequest, "No session", "The form names no session.", user: user, csrf: session.csrfToken) }
        do {
            guard try await backend.forceRelease(sessionID: sessionID, license: key, by: user, from: context.peerAddress) else {
                return message(.notFound, "No such session", "License \(key) has no live session \(sessionID).", user: user, csrf: session.csrfToken)
            }
        } catch {
            return message(.internalServerError, "Not released", error.message, user: user, csrf: session.csrfToken)
        }
        let released = sessionID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return Response(status: .seeOther, headers: [.location: Pages.licensePath(key) + "?released=" + released])
    }

    // MARK: Reports

    private func reportsPage(_ request: Request, _ user: DashboardUser) async -> Pages.ReportsPage {
        let query = request.uri.queryParameters
        let kind = query.get("report").flatMap(UsageReportKind.init(rawValue:)) ?? .usage
        let period = query.get("by").flatMap(UsagePeriod.init(rawValue:)) ?? .day
        let fromText = query.get("from") ?? "", toText = query.get("to") ?? "", license = query.get("license") ?? ""
        var page = Pages.ReportsPage(kind: kind, period: period, from: fromText, to: toText, license: license, csvQuery: request.uri.query ?? "")
        let from = Self.day(fromText), to = Self.day(toText).map { $0.adding(milliseconds: 86_400_000) }
        if (!fromText.isEmpty && from == nil) || (!toText.isEmpty && to == nil) {
            page.problem = "Dates are written YYYY-MM-DD."
            return page
        }
        do {
            page.result = try await backend.report(kind, by: period, from: from, to: to, license: license.isEmpty ? nil : license, for: user)
        } catch {
            page.problem = error.message
        }
        return page
    }

    /// The start (UTC) of the day `YYYY-MM-DD` names; `nil` for anything else (2026-02-30 too).
    static func day(_ text: String) -> Timestamp? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]) else { return nil }
        let days = Timestamp.daysSinceEpoch(year: year, month: month, day: day)
        guard Timestamp.civilDate(daysSinceEpoch: days) == (year, month, day) else { return nil }
        return Timestamp(millisecondsSinceEpoch: days * 86_400_000)
    }

    // MARK: Responses

    private func message(_ status: HTTPResponse.Status, _ title: String, _ text: String, user: DashboardUser?, csrf: String?) -> Response {
        html(status, pages.render("message", title: title, values: ["title": title, "message": text], user: user, csrf: csrf))
    }

    private func forbidden(_ text: String) -> Response {
        message(.forbidden, "Forbidden", text, user: nil, csrf: nil)
    }
}

private func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
    Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
}

/// No page may be framed, cached, or load anything from elsewhere.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = DashboardRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"
        // Names HTTPTypes does not predefine; both are valid header names, so `!` cannot fail.
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
