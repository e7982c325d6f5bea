import Foundation
import Logging
import SeatCore
@testable import SeatServer
@testable import SeatStorage
import Testing

@Suite struct ReloadPlanTests {
    @Test func restartOnlyKeysKeepTheirRunningValues() throws {
        let running = try ConfigurationLoader.load(file: nil, overrides: ["port=7420", "lease_seconds=60", "heartbeat_interval_seconds=20"])
        let proposed = try ConfigurationLoader.load(file: nil, overrides: [
            "port=9000", "state_directory=/elsewhere", "lease_seconds=90", "heartbeat_interval_seconds=30", "log_level=debug", "metrics_port=9100",
        ])
        let (applied, needsRestart) = ConfigurationLoader.reloadable(proposed, running: running)
        #expect(needsRestart == ["port", "state_directory", "metrics_port"])
        #expect(applied.port == 7420)
        #expect(applied.stateDirectory == running.stateDirectory)
        #expect(applied.metricsPort == 7421)
        #expect(applied.leaseSeconds == 90)
        #expect(applied.heartbeatIntervalSeconds == 30)
        #expect(applied.logLevel == "debug")
    }

    @Test func everyKeyIsClassifiedAndDocumented() {
        #expect(ConfigurationLoader.restartOnlyKeys == [
            "listen_address", "port", "state_directory", "queue_max_per_license", "queue_max_per_connection", "audit_aggregation_window_seconds", "borrow_signing_key_file", "durability",
            "storage", "postgresql_url", "cluster_node_name", "cluster_advertise_address", "cluster_lease_seconds",
            "storage_initial_map_mb", "storage_max_map_mb",
            "storage_high_water_percent", "storage_disk_reserve_mb", "shutdown_timeout_seconds", "metrics_listen_address", "metrics_port",
            "dashboard_listen_address", "dashboard_port", "dashboard_session_minutes", "admin_socket", "admin_socket_group",
            "auth_failure_limit", "auth_failure_global_limit", "auth_failure_window_seconds",
        ])
        let text = ConfigurationLoader.defaultConfigurationText()
        #expect(text.contains("(Needs a restart; SIGHUP does not change it.)\nport = 7420"))
        #expect(text.contains("\nshutdown_timeout_seconds = 30.0\n"))
        #expect(text.contains("\nmetrics_listen_address = 127.0.0.1\n"))
        #expect(text.contains("\nmetrics_port = 7421\n"))
        #expect(text.contains("\nqueue_max_per_license = 1000\n"))
        #expect(text.contains("\nqueue_max_per_connection = 16\n"))
        #expect(text.contains("\ndashboard_listen_address = 127.0.0.1\n"))
        #expect(text.contains("\ndashboard_port = 7422\n"))
    }

    /// Plain HTTP only where nobody else can connect; every other address gets TLS.
    @Test func theDashboardIsPlainHTTPOnLoopbackOnly() throws {
        for (address, loopback) in [("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("localhost", true), ("0.0.0.0", false), ("10.1.2.3", false), ("::", false), ("seat-server.example", false)] {
            let configuration = try ConfigurationLoader.load(file: nil, overrides: ["dashboard_listen_address=\(address)"])
            #expect(configuration.dashboardIsLoopback == loopback, "\(address)")
        }
    }
}

@Suite struct ReadinessTests {
    @Test func readyOnlyWithStorageAndListenersAndNotStopping() async {
        let readiness = Readiness()
        #expect(readiness.notReadyReason == "storage not open")
        readiness.markStorageOpen()
        #expect(readiness.notReadyReason == "client listener not bound")
        readiness.markListening(address: "127.0.0.1:7420")
        #expect(!readiness.isReady)
        #expect(readiness.notReadyReason == "admin socket not bound")
        readiness.markAdminSocketBound()
        #expect(readiness.isReady)
        #expect(await readiness.waitUntilListening() == "127.0.0.1:7420")
        readiness.markShuttingDown()
        #expect(!readiness.isReady)
        #expect(readiness.notReadyReason == "shutting down")
    }
}

@Suite struct SeatMetricsTests {
    func render(_ metrics: SeatMetrics, licenses: [License], inUse: Int = 0) -> String {
        let statistics = SeatStore.Statistics(mapSizeBytes: 1 << 20, usedBytes: 8192, commits: 3, committedChanges: 5, lastBatchSize: 2)
        let snapshot = SeatMetrics.Snapshot(
            licenses: licenses.map { LicenseSnapshot(license: $0, seatsInUse: inUse) }, liveSessions: 4, openConnections: 2, storage: statistics
        )
        return String(decoding: metrics.render(snapshot), as: UTF8.self)
    }

    @Test func exportsCountersHistogramsAndScrapeTimeGauges() {
        let metrics = SeatMetrics()
        metrics.grants.increment()
        metrics.recordRefusal(.noSeats, license: "CAD", tenant: "acme")
        metrics.recordRefusal(.helloRequired)
        metrics.recordRequest(.acquire, duration: .microseconds(300))
        metrics.recordStorageCommit(changes: 7, duration: .milliseconds(2))
        let text = render(metrics, licenses: [License(key: "CAD", tenant: "acme", seats: 5)], inUse: 3)
        #expect(text.contains("seatd_grants_total 1\n"))
        #expect(text.contains("seatd_refusals_total{reason=\"no_seats\",license=\"CAD\",tenant=\"acme\"} 1\n"))
        #expect(text.contains("seatd_refusals_total{reason=\"other\",license=\"\",tenant=\"\"} 1\n"))
        #expect(text.contains("seatd_request_duration_seconds_count{operation=\"acquire\"} 1\n"))
        #expect(text.contains("seatd_request_duration_seconds_bucket{operation=\"acquire\",le=\"0.0005\"} 1\n"))
        #expect(text.contains("seatd_storage_batch_changes_sum 7"))
        #expect(text.contains("seatd_seats_total{license=\"CAD\",tenant=\"acme\"} 5.0\n"))
        #expect(text.contains("seatd_seats_in_use{license=\"CAD\",tenant=\"acme\"} 3.0\n"))
        #expect(text.contains("seatd_license_state{license=\"CAD\",tenant=\"acme\",state=\"active\"} 1.0\n"))
        #expect(!text.contains("seatd_license_expiry_timestamp_seconds{license=\"CAD\""), "it does not expire")
        #expect(text.contains("seatd_connections_active 2.0\n"))
        #expect(text.contains("seatd_storage_map_size_bytes 1048576.0\n"))
    }

    @Test func clusterSeriesOnlyWithAClusterAndTakeoversCountedOnce() {
        let metrics = SeatMetrics()
        let single = render(metrics, licenses: [])
        #expect(!single.contains("seatd_cluster_"))
        var status = ClusterStatus(node: "a")
        status.role = .active
        status.epoch = 7
        status.appliedSequence = 42
        status.takeovers = 1
        let storage = SeatStore.Statistics(mapSizeBytes: 0, usedBytes: 0, commits: 0, committedChanges: 0, lastBatchSize: 0)
        let snapshot = SeatMetrics.Snapshot(licenses: [], liveSessions: 0, openConnections: 0, storage: storage, cluster: status)
        _ = metrics.render(snapshot)
        let text = String(decoding: metrics.render(snapshot), as: UTF8.self)
        #expect(text.contains("seatd_cluster_active 1.0\n"))
        #expect(text.contains("seatd_cluster_epoch 7.0\n"))
        #expect(text.contains("seatd_cluster_applied_sequence 42.0\n"))
        #expect(text.contains("seatd_cluster_takeovers_total 1\n"))
        #expect(text.contains("# HELP seatd_cluster_active "))
    }

    @Test func queueLengthPerLicenseAndWaitTimes() {
        let metrics = SeatMetrics()
        metrics.recordQueueWait(.seconds(3), license: "CAD", tenant: "acme")
        let statistics = SeatStore.Statistics(mapSizeBytes: 1 << 20, usedBytes: 8192, commits: 3, committedChanges: 5, lastBatchSize: 2)
        let snapshot = SeatMetrics.Snapshot(
            licenses: [
                LicenseSnapshot(license: License(key: "CAD", tenant: "acme", seats: 1), seatsInUse: 1, waiting: 4),
                LicenseSnapshot(license: License(key: "SIM", seats: 2), seatsInUse: 0),
            ],
            liveSessions: 1, openConnections: 5, storage: statistics)
        let text = String(decoding: metrics.render(snapshot), as: UTF8.self)
        #expect(text.contains("seatd_queue_length{license=\"CAD\",tenant=\"acme\"} 4.0\n"))
        #expect(text.contains("seatd_queue_length{license=\"SIM\",tenant=\"default\"} 0.0\n"))
        #expect(text.contains("seatd_queue_wait_seconds_bucket{license=\"CAD\",tenant=\"acme\",le=\"1.0\"} 0\n"))
        #expect(text.contains("seatd_queue_wait_seconds_bucket{license=\"CAD\",tenant=\"acme\",le=\"5.0\"} 1\n"))
        #expect(text.contains("seatd_grants_total 1\n"), "a pushed grant is a grant")
    }

    @Test func everyMetricHasHelpAndType() {
        let metrics = SeatMetrics()
        metrics.recordRefusal(.noSeats, license: "CAD")
        metrics.recordQueueWait(.seconds(2), license: "CAD", tenant: "default")
        let text = render(metrics, licenses: [License(key: "CAD", seats: 5, expiresAt: Timestamp(millisecondsSinceEpoch: 1_800_000_000_000))])
        let lines = text.split(separator: "\n")
        let typed = Set(lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
        let helped = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] })
        #expect(typed.count >= 30)
        #expect(typed == helped, "TYPE without HELP: \(typed.subtracting(helped))")
        let sampled = Set(lines.filter { !$0.hasPrefix("#") }.map { String($0.prefix { $0 != "{" && $0 != " " }) })
        for name in sampled {
            let family = ["_bucket", "_sum", "_count"].reduce(name) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
            #expect(typed.contains(Substring(family)), "\(name) has no TYPE")
        }
    }

    @Test func licensesExpiryStateTenantAndTheirChanges() {
        let metrics = SeatMetrics()
        let expiring = License(key: "CAD", tenant: "acme", seats: 5, expiresAt: Timestamp(millisecondsSinceEpoch: 1_800_000_000_500))
        var text = render(metrics, licenses: [expiring])
        #expect(text.contains("seatd_license_expiry_timestamp_seconds{license=\"CAD\",tenant=\"acme\"} 1800000000.5\n"))
        var suspended = expiring
        suspended.state = .suspended
        text = render(metrics, licenses: [suspended])
        #expect(text.contains("seatd_license_state{license=\"CAD\",tenant=\"acme\",state=\"suspended\"} 1.0\n"))
        #expect(!text.contains("state=\"active\""), "the old state's series is gone")
    }

    @Test func deletedLicensesDisappear() {
        let metrics = SeatMetrics()
        _ = render(metrics, licenses: [License(key: "OLD", seats: 1), License(key: "KEEP", seats: 2)])
        let text = render(metrics, licenses: [License(key: "KEEP", seats: 2)], inUse: 2)
        #expect(!text.contains("license=\"OLD\""))
        #expect(text.contains("seatd_seats_in_use{license=\"KEEP\",tenant=\"default\"} 2.0\n"))
    }

    @Test func refusalsOfLicensesTheCallerCannotSeeCarryNoLicense() {
        let metrics = SeatMetrics()
        for key in ["a", "b", "c"] { metrics.recordRefusal(.unknownLicense, license: key, tenant: "acme") }
        let text = render(metrics, licenses: [])
        #expect(text.contains("seatd_refusals_total{reason=\"unknown_license\",license=\"\",tenant=\"\"} 3\n"))
        #expect(!text.contains("license=\"a\""), "a client cannot mint series")
    }

    @Test func buildInfoAndProcessSeries() {
        let text = render(SeatMetrics(), licenses: [])
        #expect(text.contains("seatd_build_info{version=\""))
        for name in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds"] {
            let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            #expect((line.flatMap { Double($0.split(separator: " ")[1]) } ?? 0) > 0, "\(name): \(String(describing: line))")
        }
    }

    @Test func processStatusParsesACommandNameWithSpacesAndParentheses() throws {
        let stat = "4242 (seat d (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 123456 987654321 2048 18446744073709551615"
        let status = try #require(ProcessStatus(stat: stat))
        #expect(status == ProcessStatus(cpuTicks: 300, startTicks: 123456, virtualBytes: 987654321, residentPages: 2048))
        #expect(ProcessStatus(stat: "4242 (short) S 1") == nil)
        #expect(ProcessStatus.bootTime(procStat: "cpu 1 2 3\nbtime 1764633600\nprocesses 9\n") == 1764633600)
    }

    @Test func overageInUseIsAGaugePerLicense() {
        let text = render(SeatMetrics(), licenses: [License(key: "CAD", tenant: "acme", seats: 10, overage: .seats(2))], inUse: 12)
        #expect(text.contains("seatd_seats_in_use{license=\"CAD\",tenant=\"acme\"} 12.0\n"))
        #expect(text.contains("seatd_seats_overage_in_use{license=\"CAD\",tenant=\"acme\"} 2.0\n"))
        #expect(text.contains("# HELP seatd_seats_overage_in_use Seats of a license in use past seatd_seats_total"))
    }
}

@Suite struct LogLevelControlTests {
    @Test func handlersFollowTheSharedLevelUnlessGivenTheirOwn() {
        let control = LogLevelControl(.info)
        let shared = LogfmtLogHandler(label: "a", control: control)
        var own = LogfmtLogHandler(label: "b", control: control)
        own.logLevel = .error
        control.level = .debug
        #expect(shared.logLevel == .debug)
        #expect(own.logLevel == .error)
        for level in Logger.Level.allCases {
            control.level = level
            #expect(shared.logLevel == level)
        }
    }
}

@Suite struct ConnectionLimitTests {
    @Test func clientConnectionsStopShortOfTheOpenFileLimit() {
        #expect(ResourceLimits.connectionLimit(configured: 60_000, fileLimit: 20_000) == 20_000 - ResourceLimits.reservedDescriptors)
        #expect(ResourceLimits.connectionLimit(configured: 500, fileLimit: 20_000) == 500)
        #expect(ResourceLimits.connectionLimit(configured: 500, fileLimit: 100) == 1)
        #expect(ResourceLimits.connectionLimit(configured: 60_000, fileLimit: Int.max) == 60_000)
    }
}
