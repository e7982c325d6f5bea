import Prometheus
import SeatBuildInfo
import SeatCore
import SeatProtocol
import SeatStorage
import Synchronization

/// Every metric seatd exports, on a private Prometheus registry (no global bootstrap, so
/// tests can build as many as they like), each with its HELP text (`MetricHelp`).
///
/// Hot-path updates are single atomic adds (counters) or one short lock (histograms and
/// the per-license refusal series), always taken outside the license actors. Values that
/// already exist elsewhere (licenses, open connections, LMDB map use, the process) are
/// read only when scraped.
final class SeatMetrics: Sendable {
    enum Operation: String, CaseIterable, Sendable {
        case acquire, heartbeat, release, validate, borrow
    }

    let registry = PrometheusCollectorRegistry()

    let grants: Counter
    let reattachments: Counter
    let heartbeats: Counter
    let releases: Counter
    let expiries: Counter
    let tlsHandshakeFailures: Counter
    let connectionsRefused: Counter
    private let connectionRefusals: [ConnectionRefusalReason: Counter]
    let reloadsAccepted: Counter
    let reloadsRejected: Counter
    private let authenticationsSucceeded: Counter
    private let authenticationsFailed: Counter
    private let authenticationsThrottled: Counter
    let adminRequests: Counter
    private let refusals = Mutex<[RefusalSeries: Counter]>([:])
    private let requestDurations: [Operation: DurationHistogram]
    private let storageCommitDuration: DurationHistogram
    private let storageBatchSize: ValueHistogram

    private let connectionsActive: Gauge
    private let sessionsLive: Gauge
    private let storageMapSize: Gauge
    private let storageUsed: Gauge
    private let storageHighWater: Gauge
    private let licenseSeries = LicenseSeries()
    private let process: ProcessMetrics
    private let queueWaits = Mutex<[LicenseLabels: DurationHistogram]>([:])
    private let clusterSeries = Mutex<ClusterSeries?>(nil)

    /// Refusal reasons get their own series; anything else a request can fail with is
    /// counted under `other`.
    static let refusalReasons: [ErrorCode] = [
        .unknownLicense, .licenseExpired, .licenseSuspended, .licenseRevoked, .noSeats, .policyDenied,
        .unknownSession, .sessionExpired, .sessionReleased, .sessionRevoked, .storageFull, .storageFailure,
    ]

    /// Refusals that concern a license the caller may use: labelled with it. Others (an
    /// unknown license, a session token) carry no license, so a client cannot mint series.
    static let licenseScopedReasons: Set<ErrorCode> = [.licenseExpired, .licenseSuspended, .licenseRevoked, .noSeats, .policyDenied, .storageFull]

    /// Seat requests answer in microseconds (memory) to milliseconds (an fsync).
    static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
    ]

    init() {
        let registry = self.registry
        func counter(_ name: String, _ labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(descriptor: MetricHelp.descriptor(name), labels: labels)
        }
        func gauge(_ name: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(descriptor: MetricHelp.descriptor(name), labels: labels)
        }
        grants = counter("seatd_grants_total")
        reattachments = counter("seatd_reattachments_total")
        heartbeats = counter("seatd_heartbeats_total")
        releases = counter("seatd_releases_total")
        expiries = counter("seatd_expiries_total")
        tlsHandshakeFailures = counter("seatd_tls_handshake_failures_total")
        connectionsRefused = counter("seatd_connections_refused_total")
        var connectionRefusals: [ConnectionRefusalReason: Counter] = [:]
        for reason in ConnectionRefusalReason.allCases {
            connectionRefusals[reason] = counter("seatd_connection_refusals_total", [("reason", reason.rawValue)])
        }
        self.connectionRefusals = connectionRefusals
        reloadsAccepted = counter("seatd_reloads_total", [("result", "accepted")])
        reloadsRejected = counter("seatd_reloads_total", [("result", "rejected")])
        authenticationsSucceeded = counter("seatd_authentications_total", [("result", "accepted")])
        authenticationsFailed = counter("seatd_authentications_total", [("result", "refused")])
        authenticationsThrottled = counter("seatd_authentications_total", [("result", "throttled")])
        adminRequests = counter("seatd_admin_requests_total")
        var durations: [Operation: DurationHistogram] = [:]
        for operation in Operation.allCases {
            durations[operation] = registry.makeDurationHistogram(
                descriptor: MetricHelp.descriptor("seatd_request_duration_seconds"), labels: [("operation", operation.rawValue)],
                buckets: Self.durationBuckets
            )
        }
        requestDurations = durations
        storageCommitDuration = registry.makeDurationHistogram(
            descriptor: MetricHelp.descriptor("seatd_storage_commit_duration_seconds"), buckets: Self.durationBuckets
        )
        storageBatchSize = registry.makeValueHistogram(
            descriptor: MetricHelp.descriptor("seatd_storage_batch_changes"), buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000]
        )
        connectionsActive = gauge("seatd_connections_active")
        sessionsLive = gauge("seatd_sessions_live")
        storageMapSize = gauge("seatd_storage_map_size_bytes")
        storageUsed = gauge("seatd_storage_used_bytes")
        storageHighWater = gauge("seatd_storage_high_water")
        gauge("seatd_build_info", [
            ("version", String(cString: seatd_build_version())), ("commit", String(cString: seatd_build_commit())),
        ]).set(Int64(1))
        process = ProcessMetrics(registry: registry)
    }

    func recordAuthentication(succeeded: Bool) {
        (succeeded ? authenticationsSucceeded : authenticationsFailed).increment()
    }

    /// An attempt refused by the throttle before its key was checked.
    func recordThrottledAuthentication() {
        authenticationsThrottled.increment()
    }

    // MARK: Hot path

    private struct RefusalSeries: Hashable {
        var reason: String
        var license: String
        var tenant: String
    }

    /// A refused request; `license` and `tenant` label it only for the reasons in
    /// `licenseScopedReasons` (the license was found and may be used by the caller).
    func recordRefusal(_ code: ErrorCode, license: String = "", tenant: String = "") {
        let scoped = Self.licenseScopedReasons.contains(code)
        let series = RefusalSeries(
            reason: Self.refusalReasons.contains(code) ? Self.reasonLabel(code) : "other",
            license: scoped ? license : "", tenant: scoped ? tenant : ""
        )
        let counter = refusals.withLock { counters in
            if let existing = counters[series] { return existing }
            let created = registry.makeCounter(
                descriptor: MetricHelp.descriptor("seatd_refusals_total"),
                labels: [("reason", series.reason), ("license", series.license), ("tenant", series.tenant)]
            )
            counters[series] = created
            return created
        }
        counter.increment()
    }

    /// A connection turned away, or an accept(2) that failed (which refuses no particular
    /// connection, so it is not in `seatd_connections_refused_total`).
    func recordConnectionRefusal(_ reason: ConnectionRefusalReason) {
        connectionRefusals[reason]?.increment()
        if reason != .acceptError { connectionsRefused.increment() }
    }

    func recordRequest(_ operation: Operation, duration: Duration) {
        requestDurations[operation]?.record(duration)
    }

    /// A wait for a seat lasts from an instant to a working day.
    static let queueWaitBuckets: [Duration] = [
        .milliseconds(100), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300), .seconds(900),
        .seconds(3_600), .seconds(4 * 3_600), .seconds(8 * 3_600),
    ]

    private struct LicenseLabels: Hashable {
        var license: String
        var tenant: String
    }

    /// A waiter got its seat of `license` after waiting `duration` in the queue.
    func recordQueueWait(_ duration: Duration, license: String, tenant: String) {
        grants.increment()
        let labels = LicenseLabels(license: license, tenant: tenant)
        let histogram = queueWaits.withLock { histograms in
            if let existing = histograms[labels] { return existing }
            let created = registry.makeDurationHistogram(
                descriptor: MetricHelp.descriptor("seatd_queue_wait_seconds"), labels: [("license", license), ("tenant", tenant)],
                buckets: Self.queueWaitBuckets
            )
            histograms[labels] = created
            return created
        }
        histogram.record(duration)
    }

    /// Called by the storage writer thread after each committed batch.
    func recordStorageCommit(changes: Int, duration: Duration) {
        storageCommitDuration.record(duration)
        storageBatchSize.record(Double(changes))
    }

    // MARK: Scrape

    struct Snapshot {
        var licenses: [LicenseSnapshot]
        var liveSessions: Int
        var openConnections: Int
        var storage: SeatStore.Statistics
        /// With storage = postgresql.
        var cluster: ClusterStatus? = nil
    }

    /// The exposition text, after setting the gauges read at scrape time from `snapshot`.
    func render(_ snapshot: Snapshot) -> [UInt8] {
        connectionsActive.set(Int64(snapshot.openConnections))
        sessionsLive.set(Int64(snapshot.liveSessions))
        storageMapSize.set(Int64(snapshot.storage.mapSizeBytes))
        storageUsed.set(Int64(snapshot.storage.usedBytes))
        // 1 while grants are refused with storageFull to keep space for ends.
        storageHighWater.set(Int64(snapshot.storage.refusingAddingWrites ? 1 : 0))
        licenseSeries.update(snapshot.licenses, registry: registry)
        if let cluster = snapshot.cluster {
            let series = clusterSeries.withLock { series in
                if series == nil { series = ClusterSeries(registry: registry) }
                return series!
            }
            series.update(cluster)
        }
        process.update()
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
