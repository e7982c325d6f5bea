import Foundation
import SeatClient
import SeatProtocol
import Testing

/// The health and metrics listener: /healthz, /readyz and Prometheus /metrics that move
/// with the traffic.
@Suite struct MetricsTests {
    func scrape(_ port: Int) async throws -> PrometheusSamples {
        let response = try await HTTPProbe.get(port: port, path: "/metrics")
        #expect(response.status == 200)
        return PrometheusSamples(response.body)
    }

    @Test func healthAndReadiness() async throws {
        try await withDaemon(licenses: [TestLicense(key: "M", seats: 1)]) { daemon in
            let port = try await daemon.metricsPort()
            let health = try await HTTPProbe.get(port: port, path: "/healthz")
            #expect(health.status == 200)
            let ready = try await HTTPProbe.get(port: port, path: "/readyz")
            #expect(ready.status == 200)
            #expect(ready.body == "ready\n")
            #expect(try await HTTPProbe.get(port: port, path: "/nothing").status == 404)
        }
    }

    @Test func countersMoveWithTheTraffic() async throws {
        try await withDaemon(licenses: [TestLicense(key: "M", seats: 2), TestLicense(key: "OTHER", seats: 7)]) { daemon in
            let port = try await daemon.metricsPort()
            let before = try await scrape(port)
            let client = try await daemon.connect()
            let first = try await client.acquire(licenseKey: "M", user: "a", hostname: "h", hardwareID: "a", clientVersion: "1")
            _ = try await client.acquire(licenseKey: "M", user: "b", hostname: "h", hardwareID: "b", clientVersion: "1")
            _ = try await client.acquire(licenseKey: "M", user: "a", hostname: "h", hardwareID: "a", clientVersion: "1")
            await #expect(throws: ErrorReply.self) { try await client.acquire(licenseKey: "M", user: "c", hostname: "h", hardwareID: "c", clientVersion: "1") }
            await #expect(throws: ErrorReply.self) { try await client.acquire(licenseKey: "NOPE", user: "c", hostname: "h", hardwareID: "c", clientVersion: "1") }
            for _ in 0..<3 { _ = try await client.heartbeat(first.token) }
            _ = try await client.release(first.token)
            _ = try await client.validate(licenseKey: "OTHER")
            // A plaintext client fails the TLS handshake.
            let plaintext = try await RawConnection.connect(port: daemon.port, caFile: nil)
            try await plaintext.write(Array("GET / HTTP/1.0\r\n\r\n".utf8))
            _ = await plaintext.next()

            var after = try await scrape(port)
            let deadline = ContinuousClock.now + .seconds(30)
            while (after["seatd_tls_handshake_failures_total"] ?? 0) < 1 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                after = try await scrape(port)
            }
            func delta(_ series: String) -> Double { (after[series] ?? 0) - (before[series] ?? 0) }
            #expect(delta("seatd_grants_total") == 2)
            #expect(delta("seatd_reattachments_total") == 1)
            #expect(delta("seatd_refusals_total{reason=\"no_seats\",license=\"M\",tenant=\"default\"}") == 1)
            #expect(delta("seatd_refusals_total{reason=\"unknown_license\",license=\"\",tenant=\"\"}") == 1)
            #expect(delta("seatd_heartbeats_total") == 3)
            #expect(delta("seatd_releases_total") == 1)
            #expect(delta("seatd_request_duration_seconds_count{operation=\"acquire\"}") == 5)
            #expect(delta("seatd_request_duration_seconds_count{operation=\"heartbeat\"}") == 3)
            #expect(delta("seatd_request_duration_seconds_count{operation=\"validate\"}") == 1)
            #expect((after["seatd_tls_handshake_failures_total"] ?? 0) >= 1)
            #expect(after["seatd_seats_total{license=\"M\",tenant=\"default\"}"] == 2)
            #expect(after["seatd_seats_in_use{license=\"M\",tenant=\"default\"}"] == 1)
            #expect(after["seatd_seats_total{license=\"OTHER\",tenant=\"default\"}"] == 7)
            #expect(after["seatd_license_state{license=\"M\",tenant=\"default\",state=\"active\"}"] == 1)
            #expect(after.total("seatd_build_info") == 1)
            #expect((after["process_resident_memory_bytes"] ?? 0) > 1_000_000)
            #expect((after["process_open_fds"] ?? 0) > 5)
            #expect(after["seatd_sessions_live"] == 1)
            #expect((after["seatd_connections_active"] ?? 0) >= 1)
            #expect(after.total("seatd_storage_commit_duration_seconds_count") >= 3)
            #expect(after.total("seatd_storage_batch_changes_count") >= 3)
            #expect((after["seatd_storage_map_size_bytes"] ?? 0) > 0)
            #expect((after["seatd_storage_used_bytes"] ?? 0) > 0)
            await client.close()
            await plaintext.close()
        }
    }

    @Test func disabledWhenTheAddressIsEmpty() async throws {
        try await withDaemon(licenses: [TestLicense(key: "M", seats: 1)], settings: ["metrics_listen_address": ""]) { daemon in
            let client = try await daemon.connect()
            _ = try await client.validate(licenseKey: "M")
            await client.close()
            #expect(!daemon.log.contains("health and metrics listening"))
        }
    }
}
