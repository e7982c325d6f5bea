import Foundation
import SeatCore
import SeatDashboard
import SeatProtocol

/// The dashboard's view of the server: sign-in through the access keys and the shared
/// authentication throttle, and every answer limited to what the key's principal may
/// see (`Principal.canAccess`). Force-release goes through the admin `release`
/// operation, so it is logged and audited, attributed to the key, like `seatctl release`.
struct DashboardBridge: DashboardBackend {
    let service: SeatService
    let access: AccessRegistry
    let gate: AuthenticationGate
    let admin: AdminDispatcher
    let reports: UsageReports
    let audit: AuditLog
    let seatEvents: SeatEventLog
    let metrics: SeatMetrics
    let clock: any ServerClock

    func now() -> Timestamp { clock.now() }

    func signIn(accessKey: String, from address: String) async -> DashboardSignIn {
        let check = AuthenticationCheck(access: access, gate: gate, audit: audit, seatEvents: seatEvents, metrics: metrics, clock: clock)
        switch check.attempt(accessKey, from: address, verify: { access.verify($0) }) {
        case .throttled(let wait): return .throttled(retryAfterSeconds: (wait + 999) / 1000)
        case .failed: return .refused
        case .accepted(let verified): return Self.user(verified.key, verified.principal).map(DashboardSignIn.signedIn) ?? .refused
        }
    }

    func user(keyID: String) async -> DashboardUser? {
        access.validKey(keyID).flatMap { Self.user($0.key, $0.principal) }
    }

    /// Admin and viewer keys; a client key is a workstation's, not a person's.
    private static func user(_ key: AccessKey, _ principal: Principal) -> DashboardUser? {
        guard principal.role != .client else { return nil }
        return DashboardUser(keyID: key.id, label: key.label, tenant: principal.tenant, mayAct: principal.isAdministrator)
    }

    /// The principal of a signed-in user's key, re-read so a revocation counts at once.
    private func principal(_ user: DashboardUser) -> Principal? {
        access.validKey(user.keyID)?.principal
    }

    func licenses(for user: DashboardUser) async -> [DashboardLicense] {
        guard let principal = principal(user) else { return [] }
        let now = clock.now()
        return await service.licenseSnapshots()
            .filter { principal.canAccess(tenant: $0.license.tenant) }
            .sorted { $0.license.key < $1.license.key }
            .map { snapshot in
                let license = snapshot.license
                return DashboardLicense(
                    key: license.key, tenant: license.tenant, seats: license.seats, inUse: snapshot.seatsInUse, state: license.state,
                    status: AdminJSON.status(license.refusal(at: now)), expiresAt: license.expiresAt)
            }
    }

    func sessions(license: String, for user: DashboardUser) async -> [DashboardSession] {
        guard let principal = principal(user) else { return [] }
        return await service.sessions(matching: SessionFilter(tenant: principal.tenant, licenseKey: license))
            .filter { principal.canAccess(tenant: $0.license.tenant) }
            .map { match in
                let session = match.session
                return DashboardSession(
                    id: SessionID(session.token).hex, user: session.user, host: session.hostname, since: session.createdAt, leaseExpiresAt: session.leaseExpiresAt)
            }
    }

    func report(
        _ kind: UsageReportKind, by period: UsagePeriod, from: Timestamp?, to: Timestamp?, license: String?, for user: DashboardUser
    ) async throws(DashboardFailure) -> DashboardReport {
        guard let principal = principal(user) else { throw DashboardFailure("the access key was revoked") }
        do {
            let made = try await reports.make(kind, by: period, from: from, to: to, license: license, tenant: nil, as: principal)
            return DashboardReport(report: made.report, from: made.from, to: made.to)
        } catch {
            throw DashboardFailure(ErrorReply(error).message)
        }
    }

    func forceRelease(sessionID: String, license: String, by user: DashboardUser, from address: String) async throws(DashboardFailure) -> Bool {
        guard let principal = principal(user), principal.isAdministrator else { throw DashboardFailure("only an admin key may release seats") }
        // A whole session id: a prefix could name another session than the one shown.
        guard sessionID.count == 16, sessionID.allSatisfy(\.isHexDigit),
              await !service.sessions(matching: SessionFilter(licenseKey: license, sessionIDPrefix: sessionID.lowercased())).isEmpty
        else { return false }
        let request = try? JSONSerialization.data(withJSONObject: ["op": "release", "license": license, "session": sessionID.lowercased()])
        switch await admin.respond(to: String(decoding: request ?? Data(), as: UTF8.self), as: principal, from: address) {
        case .adminReply: return true
        case .error(let reply) where reply.code == .notFound: return false
        case .error(let reply): throw DashboardFailure(reply.message)
        default: throw DashboardFailure("unexpected reply to release")
        }
    }
}
