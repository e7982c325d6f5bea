import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// Acquire, heartbeat, release and validate against the real daemon over TLS.
@Suite struct SeatLifecycleTests {
    @Test func acquireHeartbeatRelease() async throws {
        let license = TestLicense(key: "CAD-3", seats: 3, tier: "pro", features: ["export": "step", "render": "gpu"], expires: "2099-01-01T00:00:00Z")
        try await withDaemon(licenses: [license]) { daemon in
            let client = try await daemon.connect()
            #expect(client.server.version == 2)
            #expect(client.server.leaseMilliseconds == 360_000)
            #expect(client.server.heartbeatIntervalMilliseconds == 120_000)

            let before = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
            let grant = try await client.acquire(licenseKey: "CAD-3", user: "alice", hostname: "ws1", hardwareID: "hw-1", clientVersion: "1.0")
            #expect(grant.seatsTotal == 3)
            #expect(grant.seatsInUse == 1)
            #expect(!grant.reattached)
            #expect(grant.tier == "pro")
            #expect(grant.features == ["export": "step", "render": "gpu"])
            #expect(grant.licenseExpiresAt == Timestamp(millisecondsSinceEpoch: 4_070_908_800_000))
            #expect(grant.heartbeatIntervalMilliseconds == 120_000)
            #expect(grant.leaseExpiresAt.millisecondsSinceEpoch >= before.millisecondsSinceEpoch + 360_000)

            let beat = try await client.heartbeat(grant.token)
            #expect(beat.leaseExpiresAt >= grant.leaseExpiresAt)

            let released = try await client.release(grant.token)
            #expect(released == ReleaseResult(ended: true, seatsTotal: 3, seatsInUse: 0))
            // Release is idempotent.
            let again = try await client.release(grant.token)
            #expect(again == ReleaseResult(ended: false, seatsTotal: 3, seatsInUse: 0))

            let afterRelease = await #expect(throws: ErrorReply.self) { try await client.heartbeat(grant.token) }
            #expect(afterRelease?.code == .sessionReleased)
            await client.close()
        }
    }

    @Test func reacquireBySameHolderReturnsTheSameSession() async throws {
        try await withDaemon(licenses: [TestLicense(key: "ONE", seats: 1)]) { daemon in
            let first = try await daemon.connect()
            let grant = try await first.acquire(licenseKey: "ONE", user: "bob", hostname: "ws", hardwareID: "hw", clientVersion: "1")
            await first.close()
            // A new connection (as after a network blip) re-attaches instead of taking a second seat.
            let second = try await daemon.connect()
            let again = try await second.acquire(licenseKey: "ONE", user: "bob", hostname: "ws", hardwareID: "hw", clientVersion: "1")
            #expect(again.token == grant.token)
            #expect(again.reattached)
            #expect(again.seatsInUse == 1)
            // Another machine of the same user is another holder: the only seat is taken.
            let refused = await #expect(throws: ErrorReply.self) {
                try await second.acquire(licenseKey: "ONE", user: "bob", hostname: "ws2", hardwareID: "hw2", clientVersion: "1")
            }
            #expect(refused?.code == .noSeats)
            await second.close()
        }
    }

    @Test func fullLicenseRefusesWithSeatsAndNextFreeTime() async throws {
        try await withDaemon(licenses: [TestLicense(key: "TWO", seats: 2)]) { daemon in
            let client = try await daemon.connect()
            var expiries: [Timestamp] = []
            for user in ["a", "b"] {
                expiries.append(try await client.acquire(licenseKey: "TWO", user: user, hostname: "h", hardwareID: user, clientVersion: "1").leaseExpiresAt)
            }
            let refusal = await #expect(throws: ErrorReply.self) {
                try await client.acquire(licenseKey: "TWO", user: "c", hostname: "h", hardwareID: "c", clientVersion: "1")
            }
            #expect(refusal?.code == .noSeats)
            #expect(refusal?.detail == .noSeats(seatsTotal: 2, seatsInUse: 2, nextFreeAt: expiries.min()!))
            await client.close()
        }
    }

    @Test func licenseStatesHaveDistinctErrors() async throws {
        let licenses = [
            TestLicense(key: "OK", seats: 1),
            TestLicense(key: "OLD", seats: 1, expires: "2001-01-01T00:00:00Z"),
            TestLicense(key: "PAUSED", seats: 1, state: "suspended"),
            TestLicense(key: "GONE", seats: 1, state: "revoked"),
        ]
        try await withDaemon(licenses: licenses) { daemon in
            let client = try await daemon.connect()
            let expected: [(String, ErrorCode)] = [("NOPE", .unknownLicense), ("OLD", .licenseExpired), ("PAUSED", .licenseSuspended), ("GONE", .licenseRevoked)]
            for (key, code) in expected {
                let error = await #expect(throws: ErrorReply.self) {
                    try await client.acquire(licenseKey: key, user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1")
                }
                #expect(error?.code == code, "acquire on \(key)")
            }
            let old = await #expect(throws: ErrorReply.self) {
                try await client.acquire(licenseKey: "OLD", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1")
            }
            #expect(old?.detail == .licenseExpired(at: Timestamp(millisecondsSinceEpoch: 978_307_200_000)))

            #expect(try await client.validate(licenseKey: "OK").status == .valid)
            #expect(try await client.validate(licenseKey: "OLD").status == .expired)
            #expect(try await client.validate(licenseKey: "PAUSED").status == .suspended)
            #expect(try await client.validate(licenseKey: "GONE").status == .revoked)
            let unknown = await #expect(throws: ErrorReply.self) { try await client.validate(licenseKey: "NOPE") }
            #expect(unknown?.code == .unknownLicense)
            // Validate takes no seat.
            #expect(try await client.validate(licenseKey: "OK").seatsInUse == 0)
            await client.close()
        }
    }

    @Test func unknownTokenIsUnknownSession() async throws {
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)]) { daemon in
            let client = try await daemon.connect()
            var random = SystemRandomNumberGenerator()
            let token = SessionToken.random(using: &random)
            let beat = await #expect(throws: ErrorReply.self) { try await client.heartbeat(token) }
            #expect(beat?.code == .unknownSession)
            let release = await #expect(throws: ErrorReply.self) { try await client.release(token) }
            #expect(release?.code == .unknownSession)
            await client.close()
        }
    }

    @Test func sweeperExpiresLapsedSessionsAndFreesTheSeat() async throws {
        // Eight heartbeat intervals to a lease: one delayed by a loaded machine keeps the seat.
        let settings = ["lease_seconds": "4", "heartbeat_interval_seconds": "0.5", "sweep_interval_seconds": "0.2"]
        try await withDaemon(licenses: [TestLicense(key: "SHORT", seats: 1)], settings: settings) { daemon in
            let client = try await daemon.connect()
            let kept = try await client.acquire(licenseKey: "SHORT", user: "a", hostname: "h", hardwareID: "a", clientVersion: "1")
            // Heartbeats on time keep the seat past its first lease.
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(500))
                _ = try await client.heartbeat(kept.token)
            }
            #expect(try await client.validate(licenseKey: "SHORT").seatsInUse == 1)
            // Stop heartbeating: the sweeper reclaims the seat after the lease.
            try await waitUntil("the sweeper to reclaim the seat") { try await client.validate(licenseKey: "SHORT").seatsInUse == 0 }
            let late = await #expect(throws: ErrorReply.self) { try await client.heartbeat(kept.token) }
            #expect(late?.code == .sessionExpired)
            let next = try await client.acquire(licenseKey: "SHORT", user: "b", hostname: "h", hardwareID: "b", clientVersion: "1")
            #expect(next.token != kept.token)
            await client.close()
        }
    }
}
