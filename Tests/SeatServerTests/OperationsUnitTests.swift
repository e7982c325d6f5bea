import Foundation
import Logging
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
            "listen_address", "port", "state_directory", "audit_aggregation_window_seconds", "durability", "storage_initial_map_mb", "storage_max_map_mb",
            "storage_high_water_percent", "storage_disk_reserve_mb", "shutdown_timeout_seconds", "metrics_listen_address", "metrics_port", "admin_socket", "admin_socket_group",
            "auth_failure_limit", "auth_failure_global_limit", "auth_failure_window_seconds",
        ])
        let text = ConfigurationLoader.defaultConfigurationText()
        #expect(text.contains("(Needs a restart; SIGHUP does not change it.)\nport = 7420"))
        #expect(text.contains("\nshutdown_timeout_seconds = 30.0\n"))
        #expect(text.contains("\nmetrics_listen_address = 127.0.0.1\n"))
        #expect(text.contains("\nmetrics_port = 7421\n"))
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
    func render(_ metrics: SeatMetrics, licenses: [(String, Int, Int)], overageInUse: Int = 0) -> String {
        let statistics = SeatStore.Statistics(mapSizeBytes: 1 << 20, usedBytes: 8192, commits: 3, committedChanges: 5, lastBatchSize: 2)
        let snapshot = SeatMetrics.Snapshot(
            licenses: licenses.map { (key: $0.0, seatsTotal: $0.1, seatsInUse: $0.2, seatsOverageInUse: overageInUse) },
            liveSessions: 4, openConnections: 2, storage: statistics)
        return String(decoding: metrics.render(snapshot), as: UTF8.self)
    }

    @Test func exportsCountersHistogramsAndScrapeTimeGauges() {
        let metrics = SeatMetrics()
        metrics.grants.increment()
        metrics.recordRefusal(.noSeats)
        metrics.recordRefusal(.helloRequired)
        metrics.recordRequest(.acquire, duration: .microseconds(300))
        metrics.recordStorageCommit(changes: 7, duration: .milliseconds(2))
        let text = render(metrics, licenses: [("CAD", 5, 3)])
        #expect(text.contains("seatd_grants_total 1\n"))
        #expect(text.contains("seatd_refusals_total{reason=\"no_seats\"} 1\n"))
        #expect(text.contains("seatd_refusals_total{reason=\"other\"} 1\n"))
        #expect(text.contains("seatd_request_duration_seconds_count{operation=\"acquire\"} 1\n"))
        #expect(text.contains("seatd_request_duration_seconds_bucket{operation=\"acquire\",le=\"0.0005\"} 1\n"))
        #expect(text.contains("seatd_storage_batch_changes_sum 7"))
        #expect(text.contains("seatd_seats_total{license=\"CAD\"} 5.0\n"))
        #expect(text.contains("seatd_seats_in_use{license=\"CAD\"} 3.0\n"))
        #expect(text.contains("seatd_connections_active 2.0\n"))
        #expect(text.contains("seatd_storage_map_size_bytes 1048576.0\n"))
    }

    @Test func deletedLicensesDisappear() {
        let metrics = SeatMetrics()
        _ = render(metrics, licenses: [("OLD", 1, 0), ("KEEP", 2, 1)])
        let text = render(metrics, licenses: [("KEEP", 2, 2)])
        #expect(!text.contains("license=\"OLD\""))
        #expect(text.contains("seatd_seats_in_use{license=\"KEEP\"} 2.0\n"))
    }

    @Test func overageInUseIsAGaugePerLicense() {
        let text = render(SeatMetrics(), licenses: [("CAD", 10, 12)], overageInUse: 2)
        #expect(text.contains("seatd_seats_in_use{license=\"CAD\"} 12.0\n"))
        #expect(text.contains("seatd_seats_overage_in_use{license=\"CAD\"} 2.0\n"))
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
