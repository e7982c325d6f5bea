import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// Sessions survive SIGKILL: everything acknowledged is there after a restart, and
/// nothing is counted twice.
@Suite struct RestartTests {
    @Test func acknowledgedSessionsSurviveSigkill() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let licenses = [TestLicense(key: "DUR", seats: 5), TestLicense(key: "FULL", seats: 2)]
        let first = try await DaemonProcess.start(licenses: licenses, stateDirectory: stateDirectory, settings: DaemonProcess.durable)
        let client = try await first.connect()
        var held: [String: SessionToken] = [:]
        for user in ["a", "b", "c"] {
            held[user] = try await client.acquire(licenseKey: "DUR", user: user, hostname: "h", hardwareID: user, clientVersion: "1").token
        }
        for user in ["x", "y"] {
            _ = try await client.acquire(licenseKey: "FULL", user: user, hostname: "h", hardwareID: user, clientVersion: "1")
        }
        let released = held.removeValue(forKey: "c")!
        _ = try await client.release(released)
        await first.kill()

        let second = try await DaemonProcess.start(stateDirectory: stateDirectory, settings: DaemonProcess.durable)
        try await second.use { second in
            let again = try await second.connect()
            for (user, token) in held {
                _ = try await again.heartbeat(token)
                // Re-acquiring returns the same session: no second seat after the restart.
                let reattached = try await again.acquire(licenseKey: "DUR", user: user, hostname: "h", hardwareID: user, clientVersion: "1")
                #expect(reattached.token == token)
                #expect(reattached.reattached)
            }
            #expect(try await again.validate(licenseKey: "DUR").seatsInUse == 2)
            let gone = await #expect(throws: ErrorReply.self) { try await again.heartbeat(released) }
            #expect(gone?.code == .sessionReleased)
            let full = await #expect(throws: ErrorReply.self) {
                try await again.acquire(licenseKey: "FULL", user: "z", hostname: "h", hardwareID: "z", clientVersion: "1")
            }
            #expect(full?.code == .noSeats)
            await again.close()
        }
    }

    @Test func killDuringConcurrentAcquiresLosesNothingAcknowledged() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let seats = 40
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: "STORM", seats: seats)], stateDirectory: stateDirectory, settings: DaemonProcess.durable)
        var connections: [SeatConnection] = []
        for _ in 0..<16 { connections.append(try await first.connect()) }
        let acknowledged = AcknowledgedSessions()
        let storm = acknowledged.storm(connections, license: "STORM", attempts: 100, releasingEvery: 3)
        // Kill in the middle of the storm: once some grants are acknowledged, with more in flight.
        for _ in 0..<400 where await acknowledged.held.count < 20 {
            try await Task.sleep(for: .milliseconds(25))
        }
        await first.kill()
        await storm.value

        let second = try await DaemonProcess.start(stateDirectory: stateDirectory, settings: DaemonProcess.durable)
        try await second.use { second in
            let client = try await second.connect()
            let live = await acknowledged.held
            let maybeReleased = await acknowledged.releaseUnacknowledged
            #expect(!live.isEmpty)
            for token in live {
                _ = try await client.heartbeat(token)
            }
            // A release that was cut off may or may not have been stored; either answer is honest.
            for token in maybeReleased {
                do {
                    _ = try await client.heartbeat(token)
                } catch let reply as ErrorReply {
                    #expect(reply.code == .sessionReleased)
                }
            }
            let inUse = try await client.validate(licenseKey: "STORM").seatsInUse
            #expect(inUse <= UInt32(seats))
            #expect(inUse >= UInt32(live.count))
            await client.close()
        }
    }
}

/// Leases across restarts and clean shutdown.
@Suite struct LeaseAcrossRestartTests {
    @Test func sessionHeartbeatingOnScheduleSurvivesASigkillAndRestart() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        // The lease is sixteen heartbeat intervals: a restart slowed by a loaded machine keeps it.
        let timings = DaemonProcess.durable.merging(["lease_seconds": "8", "heartbeat_interval_seconds": "0.5", "sweep_interval_seconds": "0.2"]) { $1 }
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: "HB", seats: 1)], stateDirectory: stateDirectory, settings: timings)
        let client = try await first.connect()
        let grant = try await client.acquire(licenseKey: "HB", user: "a", hostname: "h", hardwareID: "a", clientVersion: "1")
        for _ in 0..<3 { _ = try await client.heartbeat(grant.token) }
        // Killed right after a heartbeat: its lazy write may be lost, the seat must not be.
        let slot = await first.killKeepingSlot()
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: timings, slot: slot).use { second in
            let again = try await second.connect()
            let beat = try await again.heartbeat(grant.token)
            #expect(beat.leaseExpiresAt.millisecondsSinceEpoch > grant.leaseExpiresAt.millisecondsSinceEpoch)
            #expect(try await again.validate(licenseKey: "HB").seatsInUse == 1)
            await again.close()
        }
    }

    /// Each restart used to give every stored session a full lease from the restart, so a
    /// crash loop faster than the lease never reclaimed an abandoned seat.
    @Test func aCrashLoopStillReclaimsAnAbandonedSeat() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        let timings = DaemonProcess.durable.merging(["lease_seconds": "3", "heartbeat_interval_seconds": "1", "sweep_interval_seconds": "0.2"]) { $1 }
        var daemon = try await DaemonProcess.start(licenses: [TestLicense(key: "LOOP", seats: 1)], stateDirectory: stateDirectory, settings: timings)
        let client = try await daemon.connect()
        let abandoned = try await client.acquire(licenseKey: "LOOP", user: "gone", hostname: "h", hardwareID: "gone", clientVersion: "1")
        await client.close()
        // Reclaimed within lease + one interval (4 s) of its last heartbeat; 30 s allows
        // for slow restarts on a loaded machine.
        var reclaimed = false
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let slot = await daemon.killKeepingSlot()
            daemon = try await DaemonProcess.start(stateDirectory: stateDirectory, settings: timings, slot: slot)
            let probe = try await daemon.connect()
            let inUse = try await probe.validate(licenseKey: "LOOP").seatsInUse
            await probe.close()
            if inUse == 0 {
                reclaimed = true
                break
            }
        }
        let last = daemon
        try await last.use { daemon in
            #expect(reclaimed, "the abandoned seat survived 30 s of restarts")
            let probe = try await daemon.connect()
            let refusal = await #expect(throws: ErrorReply.self) { try await probe.heartbeat(abandoned.token) }
            #expect(refusal?.code == .sessionExpired)
            await probe.close()
        }
    }

    @Test func sigtermAnswersThenExitsZeroAndKeepsSessions() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: "T", seats: 2)], stateDirectory: stateDirectory, settings: DaemonProcess.durable)
        let client = try await first.connect()
        let grant = try await client.acquire(licenseKey: "T", user: "a", hostname: "h", hardwareID: "a", clientVersion: "1")
        let status = await first.terminate()
        #expect(status == 0)
        #expect(first.log.contains("msg=stopped"))
        // A shutdown well inside shutdown_timeout_seconds says nothing of the timeout.
        #expect(!first.log.contains("shutdown_timeout_seconds reached"))
        // The idle connection was told why it closed.
        await #expect(throws: (any Error).self) { try await client.validate(licenseKey: "T") }
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: DaemonProcess.durable).use { second in
            let again = try await second.connect()
            let reattached = try await again.acquire(licenseKey: "T", user: "a", hostname: "h", hardwareID: "a", clientVersion: "1")
            #expect(reattached.token == grant.token)
            await again.close()
        }
    }
}
