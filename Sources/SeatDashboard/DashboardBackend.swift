import SeatCore

/// Who is signed in, as the server's access keys say: re-read on every request, so a
/// revoked key's sign-ins end at once.
public struct DashboardUser: Sendable, Equatable {
    public var keyID: String
    public var label: String
    /// The tenant whose licenses it sees; `nil`: every tenant.
    public var tenant: String?
    /// Whether it may act (force-release); a viewer may only look.
    public var mayAct: Bool

    public init(keyID: String, label: String, tenant: String?, mayAct: Bool) {
        self.keyID = keyID
        self.label = label
        self.tenant = tenant
        self.mayAct = mayAct
    }

    public var roleName: String { mayAct ? "admin" : "viewer" }
}

/// What a sign-in with an access key came to.
public enum DashboardSignIn: Sendable, Equatable {
    case signedIn(DashboardUser)
    /// Unknown, revoked, wrong secret, or a key whose role may not use the dashboard.
    case refused
    /// Too many failed attempts (the server's authentication throttle).
    case throttled(retryAfterSeconds: Int64)
}

/// A license as the overview shows it.
public struct DashboardLicense: Sendable, Equatable {
    public var key: String
    public var tenant: String
    public var seats: Int
    public var inUse: Int
    public var state: LicenseState
    /// `valid`, `expired`, `suspended` or `revoked`, as `seatctl status` says.
    public var status: String
    public var expiresAt: Timestamp?

    public init(key: String, tenant: String, seats: Int, inUse: Int, state: LicenseState, status: String, expiresAt: Timestamp?) {
        self.key = key
        self.tenant = tenant
        self.seats = seats
        self.inUse = inUse
        self.state = state
        self.status = status
        self.expiresAt = expiresAt
    }
}

/// A live session as the license page shows it.
public struct DashboardSession: Sendable, Equatable {
    /// The session id as `seatctl sessions` and `seatctl release --session` write it.
    public var id: String
    public var user: String
    public var host: String
    public var since: Timestamp
    public var leaseExpiresAt: Timestamp

    public init(id: String, user: String, host: String, since: Timestamp, leaseExpiresAt: Timestamp) {
        self.id = id
        self.user = user
        self.host = host
        self.since = since
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// A report as the reports page and its CSV download show it: the admin `report`
/// operation's columns, rows and range.
public struct DashboardReport: Sendable, Equatable {
    public var report: UsageReport
    public var from: Timestamp
    public var to: Timestamp

    public init(report: UsageReport, from: Timestamp, to: Timestamp) {
        self.report = report
        self.from = from
        self.to = to
    }
}

/// What the dashboard asks of the seat server. Every answer is limited to what `user`
/// may see; SeatServer implements it over its seats, store and access keys.
public protocol DashboardBackend: Sendable {
    func now() -> Timestamp
    /// Checks an access key, through the server's authentication throttle.
    func signIn(accessKey: String, from address: String) async -> DashboardSignIn
    /// The user of a key signed in before; `nil` once the key is revoked.
    func user(keyID: String) async -> DashboardUser?
    func licenses(for user: DashboardUser) async -> [DashboardLicense]
    func sessions(license: String, for user: DashboardUser) async -> [DashboardSession]
    /// The `report` operation's report; throws its refusal (e.g. a range too long) as text.
    func report(_ kind: UsageReportKind, by period: UsagePeriod, from: Timestamp?, to: Timestamp?, license: String?, for user: DashboardUser) async throws(DashboardFailure) -> DashboardReport
    /// Force-releases the live session `sessionID` of `license`; false if there is none.
    func forceRelease(sessionID: String, license: String, by user: DashboardUser, from address: String) async throws(DashboardFailure) -> Bool
}

/// A refusal the dashboard shows as a sentence.
public struct DashboardFailure: Error, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}
