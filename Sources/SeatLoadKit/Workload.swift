/// The data set of `shared/peers/README.md`, identical for seatd, PostgreSQL and Redis:
/// licenses `lic-1..lic-N` of `seats` seats; `lic-1..lic-nfull` preloaded full with users
/// `p1..p<seats>`, the others with `preload` sessions; bench users `u1..uU`, hardware `h1..h2`.
public struct BenchDataSet: Sendable, Equatable {
    public var licenses = 1000
    public var seats = 50
    public var fullLicenses = 100
    public var preloadPerLicense = 25
    public var users = 20
    public var hardware = 2

    public init() {}

    public static func licenseKey(_ n: Int) -> String { "lic-\(n)" }

    /// Sessions the preload creates: every key of `lic-1..lic-nfull` full, then the rest.
    public var preloadSessionCount: Int {
        fullLicenses * seats + (licenses - fullLicenses) * preloadPerLicense
    }

    /// The `index`-th preloaded session (0-based), in the order of `redis/reset.lua`.
    public func preloadKey(_ index: Int) -> AcquireKey {
        precondition(index >= 0 && index < preloadSessionCount)
        let fullSessions = fullLicenses * seats
        let license: Int
        let user: Int
        if index < fullSessions {
            license = index / seats + 1
            user = index % seats + 1
        } else {
            let rest = index - fullSessions
            license = fullLicenses + rest / preloadPerLicense + 1
            user = rest % preloadPerLicense + 1
        }
        return AcquireKey(license: Self.licenseKey(license), user: "p\(user)", hardware: "h1")
    }
}

/// Licenses for the hold scenario and the restart test: `hold-1..hold-K` of `seats` seats.
/// Client (or preloaded session) `i` holds a seat of `hold-(i % K + 1)` as user `hu<i>` on
/// `hh<i>`, so every index is a distinct session.
public struct HoldDataSet: Sendable, Equatable {
    public var licenses: Int
    public var seats: Int

    public init(licenses: Int, seats: Int) {
        self.licenses = licenses
        self.seats = seats
    }

    /// Enough licenses of `seats` seats for `sessions` sessions.
    public init(sessions: Int, seatsPerLicense: Int = 1000) {
        self.seats = seatsPerLicense
        self.licenses = max(1, (sessions + seatsPerLicense - 1) / seatsPerLicense)
    }

    public var capacity: Int { licenses * seats }

    public static func licenseKey(_ n: Int) -> String { "hold-\(n)" }

    public func key(_ index: Int) -> AcquireKey {
        AcquireKey(license: Self.licenseKey(index % licenses + 1), user: "hu\(index)", hardware: "hh\(index)")
    }
}

/// What identifies a seat holder: (license, user, hardware id). Acquire is idempotent on it.
public struct AcquireKey: Sendable, Equatable, Hashable {
    public var license: String
    public var user: String
    public var hardware: String

    public init(license: String, user: String, hardware: String) {
        self.license = license
        self.user = user
        self.hardware = hardware
    }
}
