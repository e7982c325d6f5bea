import CoreMetrics
import Prometheus
import SeatProtocol
import SeatStorage
import Synchronization

/// Every metric seatd exports, created once through swift-metrics on a private
/// Prometheus registry (no global bootstrap, so tests can build as many as they like).
///
/// Hot-path updates are single atomic adds (counters) or one short lock (histograms),
/// always taken outside the license actors. Values that already exist elsewhere (seats
/// per license, open connections, LMDB map use) are read only when scraped.
final class SeatMetrics: Sendable {
    enum Operation: String, CaseIterable, Sendable {
        case acquire, heartbeat, release, validate
    }

    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    let grants: CoreMetrics.Counter
    let reattachments: CoreMetrics.Counter
    let heartbeats: CoreMetrics.Counter
    let releases: CoreMetrics.Counter
    let expiries: CoreMetrics.Counter
    let tlsHandshakeFailures: CoreMetrics.Counter
    let connectionsRefused: CoreMetrics.Counter
    private let connectionRefusals: [ConnectionRefusalReason: CoreMetrics.Counter]
    let reloadsAccepted: CoreMetrics.Counter
    let reloadsRejected: CoreMetrics.Counter
    private let authenticationsSucceeded: CoreMetrics.Counter
    private let authenticationsFailed: CoreMetrics.Counter
    private let authenticationsThrottled: CoreMetrics.Counter
    let adminRequests: CoreMetrics.Counter
    private let refusals: [ErrorCode: CoreMetrics.Counter]
    private let requestDurations: [Operation: CoreMetrics.Timer]
    private let storageCommitDuration: CoreMetrics.Timer
    private let storageBatchSize: CoreMetrics.Recorder

    private let connectionsActive: CoreMetrics.Gauge
    private let sessionsLive: CoreMetrics.Gauge
    private let storageMapSize: CoreMetrics.Gauge
    private let storageUsed: CoreMetrics.Gauge
    private let storageHighWater: CoreMetrics.Gauge
    private let licenseGauges = Mutex<[String: LicenseGauges]>([:])

    /// One license's series. `overageInUse` (seats in use past `seats`, counted in
    /// `inUse` too) is what a site reports to the vendor at a true-up.
    private struct LicenseGauges {
        var total, inUse, overageInUse: CoreMetrics.Gauge

        init(license: String, factory: any MetricsFactory) {
            total = CoreMetrics.Gauge(label: "seatd_seats_total", dimensions: [("license", license)], factory: factory)
            inUse = CoreMetrics.Gauge(label: "seatd_seats_in_use", dimensions: [("license", license)], factory: factory)
            overageInUse = CoreMetrics.Gauge(label: "seatd_seats_overage_in_use", dimensions: [("license", license)], factory: factory)
        }

        func destroy() {
            total.destroy()
            inUse.destroy()
            overageInUse.destroy()
        }
    }

    /// Refusal reasons get their own series; anything else a request can fail with is
    /// counted under `other`.
    static let refusalReasons: [ErrorCode] = [
        .unknownLicense, .licenseExpired, .licenseSuspended, .licenseRevoked, .noSeats, .policyDenied,
        .unknownSession, .sessionExpired, .sessionReleased, .sessionRevoked, .storageFull, .storageFailure,
    ]

    func recordAuthentication(succeeded: Bool) {
        (succeeded ? authenticationsSucceeded : authenticationsFailed).increment()
    }

    /// An attempt refused by the throttle before its key was checked.
    func recordThrottledAuthentication() {
        authenticationsThrottled.increment()
    }

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Seat requests answer in microseconds (memory) to milliseconds (an fsync).
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        ]
        factory.valueHistogramBuckets["seatd_storage_batch_changes"] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000]
        self.factory = factory

        grants = CoreMetrics.Counter(label: "seatd_grants_total", factory: factory)
        reattachments = CoreMetrics.Counter(label: "seatd_reattachments_total", factory: factory)
        heartbeats = CoreMetrics.Counter(label: "seatd_heartbeats_total", factory: factory)
        releases = CoreMetrics.Counter(label: "seatd_releases_total", factory: factory)
        expiries = CoreMetrics.Counter(label: "seatd_expiries_total", factory: factory)
        tlsHandshakeFailures = CoreMetrics.Counter(label: "seatd_tls_handshake_failures_total", factory: factory)
        connectionsRefused = CoreMetrics.Counter(label: "seatd_connections_refused_total", factory: factory)
        var connectionRefusals: [ConnectionRefusalReason: CoreMetrics.Counter] = [:]
        for reason in ConnectionRefusalReason.allCases {
            connectionRefusals[reason] = CoreMetrics.Counter(label: "seatd_connection_refusals_total", dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        self.connectionRefusals = connectionRefusals
        reloadsAccepted = CoreMetrics.Counter(label: "seatd_reloads_total", dimensions: [("result", "accepted")], factory: factory)
        reloadsRejected = CoreMetrics.Counter(label: "seatd_reloads_total", dimensions: [("result", "rejected")], factory: factory)
        authenticationsSucceeded = CoreMetrics.Counter(label: "seatd_authentications_total", dimensions: [("result", "accepted")], factory: factory)
        authenticationsFailed = CoreMetrics.Counter(label: "seatd_authentications_total", dimensions: [("result", "refused")], factory: factory)
        authenticationsThrottled = CoreMetrics.Counter(label: "seatd_authentications_total", dimensions: [("result", "throttled")], factory: factory)
        adminRequests = CoreMetrics.Counter(label: "seatd_admin_requests_total", factory: factory)
        var refusals: [ErrorCode: CoreMetrics.Counter] = [:]
        for code in Self.refusalReasons + [.internalError] {
            refusals[code] = CoreMetrics.Counter(label: "seatd_refusals_total", dimensions: [("reason", Self.reasonLabel(code))], factory: factory)
        }
        self.refusals = refusals
        var durations: [Operation: CoreMetrics.Timer] = [:]
        for operation in Operation.allCases {
            durations[operation] = CoreMetrics.Timer(label: "seatd_request_duration_seconds", dimensions: [("operation", operation.rawValue)], factory: factory)
        }
        requestDurations = durations
        storageCommitDuration = CoreMetrics.Timer(label: "seatd_storage_commit_duration_seconds", factory: factory)
        storageBatchSize = CoreMetrics.Recorder(label: "seatd_storage_batch_changes", aggregate: true, factory: factory)

        connectionsActive = CoreMetrics.Gauge(label: "seatd_connections_active", factory: factory)
        sessionsLive = CoreMetrics.Gauge(label: "seatd_sessions_live", factory: factory)
        storageMapSize = CoreMetrics.Gauge(label: "seatd_storage_map_size_bytes", factory: factory)
        storageUsed = CoreMetrics.Gauge(label: "seatd_storage_used_bytes", factory: factory)
        storageHighWater = CoreMetrics.Gauge(label: "seatd_storage_high_water", factory: factory)
    }

    // MARK: Hot path

    func recordRefusal(_ code: ErrorCode) {
        (refusals[code] ?? refusals[.internalError])?.increment()
    }

    /// A connection turned away, or an accept(2) that failed (which refuses no particular
    /// connection, so it is not in `seatd_connections_refused_total`).
    func recordConnectionRefusal(_ reason: ConnectionRefusalReason) {
        connectionRefusals[reason]?.increment()
        if reason != .acceptError { connectionsRefused.increment() }
    }

    func recordRequest(_ operation: Operation, duration: Duration) {
        requestDurations[operation]?.recordNanoseconds(duration.totalNanoseconds)
    }

    /// Called by the storage writer thread after each committed batch.
    func recordStorageCommit(changes: Int, duration: Duration) {
        storageCommitDuration.recordNanoseconds(duration.totalNanoseconds)
        storageBatchSize.record(changes)
    }

    // MARK: Scrape

    struct Snapshot {
        var licenses: [(key: String, seatsTotal: Int, seatsInUse: Int, seatsOverageInUse: Int)]
        var liveSessions: Int
        var openConnections: Int
        var storage: SeatStore.Statistics
    }

    /// The exposition text, after setting the gauges read at scrape time from `snapshot`.
    func render(_ snapshot: Snapshot) -> [UInt8] {
        connectionsActive.record(snapshot.openConnections)
        sessionsLive.record(snapshot.liveSessions)
        storageMapSize.record(snapshot.storage.mapSizeBytes)
        storageUsed.record(snapshot.storage.usedBytes)
        // 1 while grants are refused with storageFull to keep space for ends.
        storageHighWater.record(snapshot.storage.refusingAddingWrites ? 1 : 0)
        licenseGauges.withLock { gauges in
            var gone = Set(gauges.keys)
            for license in snapshot.licenses {
                gone.remove(license.key)
                let series = gauges[license.key] ?? LicenseGauges(license: license.key, factory: factory)
                gauges[license.key] = series
                series.total.record(license.seatsTotal)
                series.inUse.record(license.seatsInUse)
                series.overageInUse.record(license.seatsOverageInUse)
            }
            // A deleted license's series disappear instead of freezing at their last value.
            for key in gone {
                gauges[key]?.destroy()
                gauges[key] = nil
            }
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16_384)
        registry.emit(into: &buffer)
        return buffer
    }

    static func reasonLabel(_ code: ErrorCode) -> String {
        switch code {
        case .unknownLicense: "unknown_license"
        case .licenseExpired: "license_expired"
        case .licenseSuspended: "license_suspended"
        case .licenseRevoked: "license_revoked"
        case .noSeats: "no_seats"
        case .policyDenied: "policy_denied"
        case .unknownSession: "unknown_session"
        case .sessionExpired: "session_expired"
        case .sessionReleased: "session_released"
        case .sessionRevoked: "session_revoked"
        case .storageFull: "storage_full"
        case .storageFailure: "storage_failure"
        default: "other"
        }
    }
}

extension Duration {
    var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
