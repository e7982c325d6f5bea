import Foundation
import SeatCore
import SeatProtocol
import Synchronization
import Testing

/// A hostile tenant client floods seatd with refused acquires while another source sends
/// bad keys, all from the canary's own address, with the audit log at a tiny budget:
/// the canary (its own connection, a valid key) is answered promptly throughout, and the
/// administrators' events recorded before the flood are all still in `seatctl audit`.
@Suite struct AuditFloodTests {
    static let licenses = [TestLicense(key: "ACME-CAD", seats: 5, tenant: "acme")]
    /// Each canary request must be answered within this.
    static let latencyBound: Duration = .seconds(2)

    @Test func aFloodKeepsTheCanaryAnsweredAndTheAdminTrailIntact() async throws {
        let settings = [
            "anonymous_tenant": "", "audit_max_mb": "1", "audit_aggregation_window_seconds": "1", "sweep_interval_seconds": "0.5",
            "auth_failure_limit": "5", "auth_failure_global_limit": "50",
        ]
        try await withDaemon(licenses: Self.licenses, settings: settings) { daemon in
            let admin = try await ProtocolProbe.admin(daemon)
            let canaryKey = try #require(try await admin.admin(["op": "key.create", "tenant": "acme", "label": "canary"])["secret"] as? String)
            let flooderKey = try #require(try await admin.admin(["op": "key.create", "tenant": "acme", "label": "flooder"])["secret"] as? String)
            for number in 0..<5 { _ = try await admin.admin(["op": "tenant.add", "id": "t\(number)"]) }
            let adminBefore = try await Self.seatctlEvents(kind: "admin", daemon)
            #expect(adminBefore.count == 7)

            let canary = try await ProtocolProbe.client(daemon, accessKey: canaryKey)
            let token = try #require(try await canary.acquire("ACME-CAD").grant?.token)
            let flood = FloodCounters()
            // License names at the protocol's 128-byte maximum: invented, so each is its own key.
            let long = String(repeating: "x", count: 116)

            let canaryFigures = try await withThrowingTaskGroup(of: (maximum: Duration, requests: Int, failures: Int)?.self) { group in
                for flooder in 0..<4 {
                    group.addTask {
                        let probe = try await ProtocolProbe.client(daemon, accessKey: flooderKey)
                        var number = 0
                        var requestID: UInt32 = 100
                        while !flood.stop.load(ordering: .relaxed) {
                            // Pipelined: 32 requests written, then their 32 replies read.
                            for _ in 0..<32 {
                                number += 1
                                requestID += 1
                                // Half the flood repeats one name (counted), half invents names (distinct keys).
                                let license = number % 2 == 0 ? "NOPE" : "\(long)-\(flooder)-\(String(format: "%08d", number))"
                                let request = AcquireRequest(licenseKey: license, user: String(repeating: "u", count: 250), hostname: String(repeating: "h", count: 250),
                                                             hardwareID: "hw-\(number)", clientVersion: "flood")
                                try await probe.raw.write(ClientFrame(requestID: requestID, message: .acquire(request)))
                            }
                            for _ in 0..<32 {
                                guard case .frame(let frame) = await probe.raw.next(timeout: .seconds(10)) else { throw ProbeError("flood connection lost") }
                                if case .error(let reply) = frame.message, reply.code == .unknownLicense { flood.refusals.add(1, ordering: .relaxed) }
                            }
                        }
                        await probe.close()
                        return nil
                    }
                }
                for prober in 0..<2 {
                    group.addTask {
                        var number = 0
                        while !flood.stop.load(ordering: .relaxed) {
                            number += 1
                            let probe = try await ProtocolProbe.client(daemon)
                            let key = number % 2 == 0 ? "not-a-key-\(prober)" : "seatd_\(String(format: "%016x", number))_" + String(repeating: "A", count: 43)
                            _ = try await probe.request(.authenticate(accessKey: key))
                            flood.badKeys.add(1, ordering: .relaxed)
                            await probe.close()
                        }
                        return nil
                    }
                }
                group.addTask {
                    var maximum = Duration.zero
                    var requests = 0
                    var failures = 0
                    let clock = ContinuousClock()
                    // The flood runs until it has pushed the audit log past its volume budget
                    // (a purge is logged): at least 4 s, at most 60.
                    let started = clock.now
                    while clock.now < started + .seconds(60) {
                        if clock.now > started + .seconds(4) && daemon.log.contains("msg=\"audit events purged\"") { break }
                        for message in [ClientMessage.heartbeat(token), .acquire(AcquireRequest(licenseKey: "ACME-CAD", user: "ana", hostname: "ws-1", hardwareID: "hw-ana", clientVersion: "test"))] {
                            let started = clock.now
                            let reply = try await canary.request(message, timeout: .seconds(10))
                            maximum = max(maximum, clock.now - started)
                            requests += 1
                            switch reply {
                            case .heartbeatAccepted, .acquired: break
                            default: failures += 1
                            }
                        }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    flood.stop.store(true, ordering: .relaxed)
                    return (maximum, requests, failures)
                }
                var figures: (maximum: Duration, requests: Int, failures: Int)?
                for try await result in group where result != nil { figures = result }
                return try #require(figures)
            }

            // A fresh connection with the canary's key, from the flooded address, still authenticates.
            let late = try await ProtocolProbe.client(daemon, accessKey: canaryKey)
            await late.close()
            // Wait for the last window to be written and a sweep to purge past the volume share.
            try await waitUntil("the flood's last window written and purged", timeout: .seconds(30)) {
                guard daemon.log.contains("msg=\"audit events purged\"") else { return false }
                return try await Self.seatctlEvents(kind: "refusal", daemon).contains { $0["license"] as? String == "NOPE" }
            }

            let adminAfter = try await Self.seatctlEvents(kind: "admin", daemon)
            let refusalEvents = try await Self.seatctlEvents(kind: "refusal", daemon)
            let securityEvents = try await Self.seatctlEvents(kind: "auth_failure", daemon)
            let sessionEvents = try await Self.seatctlEvents(kind: "grant", daemon)
            print("""
                audit flood figures: \(flood.refusals.load(ordering: .relaxed)) refusals and \(flood.badKeys.load(ordering: .relaxed)) bad keys sent; \
                canary \(canaryFigures.requests) requests, max latency \(canaryFigures.maximum), \(canaryFigures.failures) failed; \
                kept: admin \(adminAfter.count) of \(adminBefore.count), security \(securityEvents.count) \
                (counting \(securityEvents.compactMap { $0["count"] as? Int }.reduce(0, +))), session \(sessionEvents.count), \
                volume \(refusalEvents.count) (counting \(refusalEvents.compactMap { $0["count"] as? Int }.reduce(0, +)))
                """)

            #expect(canaryFigures.failures == 0)
            #expect(canaryFigures.maximum < Self.latencyBound, "canary waited \(canaryFigures.maximum)")
            #expect(flood.refusals.load(ordering: .relaxed) > 1_000, "the flood did not run")
            #expect(adminAfter.map { $0["seq"] as? Int } == adminBefore.map { $0["seq"] as? Int }, "admin events were evicted")
            #expect(!securityEvents.isEmpty && securityEvents.allSatisfy { ($0["count"] as? Int ?? 0) >= 1 })
            #expect(sessionEvents.count == 1, "the canary's grant is kept")
            // Volume was written in aggregate, and more of it than its share holds: it was purged.
            #expect(refusalEvents.allSatisfy { $0["count"] is Int && $0["first"] is String && $0["last"] is String })
            #expect(refusalEvents.contains { $0["license"] as? String == "NOPE" && ($0["count"] as? Int ?? 0) > 1 })
            #expect(daemon.log.contains("msg=\"audit events purged\""), "the flood did not reach the volume budget")
            await canary.close()
            await admin.close()
        }
    }

    /// `seatctl audit --json --kind KIND` over the admin socket, one object per line.
    static func seatctlEvents(kind: String, _ daemon: DaemonProcess) async throws -> [[String: Any]] {
        let result = try await SeatctlProcess.run(["audit", "--json", "--kind", kind, "--admin-socket", try await daemon.adminSocket()], daemon: daemon)
        #expect(result.status == 0, "seatctl audit: \(result.stderr)")
        return try result.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }
}

/// Shared by the flood's tasks.
private final class FloodCounters: Sendable {
    let stop = Atomic<Bool>(false)
    let refusals = Atomic<Int>(0)
    let badKeys = Atomic<Int>(0)
}
