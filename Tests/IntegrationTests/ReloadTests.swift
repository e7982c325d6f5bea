import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// SIGHUP re-reads the configuration file (and the same -o overrides), licenses and TLS
/// files without dropping connections or sessions; a bad configuration changes nothing.
@Suite struct ReloadTests {
    func helloAccepted(_ daemon: DaemonProcess) async throws -> HelloAccepted {
        let raw = try await RawConnection.connect(port: daemon.port, caFile: daemon.caFile)
        defer { Task { await raw.close() } }
        try await raw.write(.hello())
        guard case .frame(let frame) = await raw.next(), case .helloAccepted(let accepted) = frame.message else {
            throw ProbeError("no HelloAccepted")
        }
        return accepted
    }

    func writeConfig(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func newSettingsApplyAndSessionsStay() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let config = stateDirectory + "/seatd.conf"
        try writeConfig("lease_seconds = 60\nheartbeat_interval_seconds = 20\nserver_name = before\n", to: config)
        let daemon = try await DaemonProcess.start(licenses: [TestLicense(key: "HUP", seats: 3)], stateDirectory: stateDirectory, configFile: config)
        try await daemon.use { daemon in
            #expect(try await helloAccepted(daemon).leaseMilliseconds == 60_000)
            let client = try await daemon.connect()
            let grant = try await client.acquire(licenseKey: "HUP", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1")

            try writeConfig("lease_seconds = 90\nheartbeat_interval_seconds = 30\nserver_name = after\n", to: config)
            try TestLicense.write([TestLicense(key: "HUP", seats: 5)], to: daemon.licensesFile)
            daemon.signal(SIGHUP)
            try await daemon.waitForLog(containing: "msg=\"configuration reloaded\"")

            let accepted = try await helloAccepted(daemon)
            #expect(accepted.leaseMilliseconds == 90_000)
            #expect(accepted.heartbeatIntervalMilliseconds == 30_000)
            #expect(accepted.serverName == "after")
            // The connection opened before the reload still works, and the session is still held;
            // its next heartbeat gets the new lease.
            let beat = try await client.heartbeat(grant.token)
            let granted = beat.leaseExpiresAt.millisecondsSinceEpoch - nowMilliseconds()
            #expect(granted > 80_000 && granted <= 90_000, "lease after reload: \(granted) ms")
            let seats = try await client.validate(licenseKey: "HUP")
            #expect(seats.seatsInUse == 1)
            #expect(seats.seatsTotal == 5)
            await client.close()
        }
    }

    @Test func badConfigurationKeepsTheOld() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let config = stateDirectory + "/seatd.conf"
        try writeConfig("lease_seconds = 60\nheartbeat_interval_seconds = 20\n", to: config)
        let daemon = try await DaemonProcess.start(licenses: [TestLicense(key: "HUP", seats: 1)], stateDirectory: stateDirectory, configFile: config)
        try await daemon.use { daemon in
            let client = try await daemon.connect()
            let grant = try await client.acquire(licenseKey: "HUP", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1")

            try writeConfig("lease_seconds = 90\nheartbeat_interval_seconds = soon\n", to: config)
            daemon.signal(SIGHUP)
            let rejected = try await daemon.waitForLog(containing: "msg=\"reload rejected: invalid configuration")
            #expect(rejected.contains("heartbeat_interval_seconds"))
            #expect(try await helloAccepted(daemon).leaseMilliseconds == 60_000)

            // A licenses file that does not parse rejects the reload as a whole, too.
            try writeConfig("lease_seconds = 90\nheartbeat_interval_seconds = 30\n", to: config)
            try "{ \"licenses\": [ { \"key\": \"HUP\" } ] }".write(toFile: daemon.licensesFile, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            try await daemon.waitForLog(containing: "msg=\"reload rejected: licenses file invalid")
            #expect(try await helloAccepted(daemon).leaseMilliseconds == 60_000)

            _ = try await client.heartbeat(grant.token)
            #expect(try await client.validate(licenseKey: "HUP").seatsInUse == 1)
            #expect(daemon.isRunning)
            await client.close()
        }
    }

    @Test func keysThatNeedARestartAreNamedAndKept() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let config = stateDirectory + "/seatd.conf"
        try writeConfig("lease_seconds = 60\nheartbeat_interval_seconds = 20\n", to: config)
        let daemon = try await DaemonProcess.start(licenses: [TestLicense(key: "HUP", seats: 1)], stateDirectory: stateDirectory, configFile: config)
        try await daemon.use { daemon in
            // (Not durability: the tests give it with -o, which wins over the file.)
            try writeConfig("lease_seconds = 70\nheartbeat_interval_seconds = 20\nstorage_max_map_mb = 99\nshutdown_timeout_seconds = 7\n", to: config)
            daemon.signal(SIGHUP)
            let warning = try await daemon.waitForLog(containing: "msg=\"configuration changes need a restart")
            #expect(warning.contains("keys=storage_max_map_mb,shutdown_timeout_seconds"))
            try await daemon.waitForLog(containing: "msg=\"configuration reloaded\"")
            #expect(try await helloAccepted(daemon).leaseMilliseconds == 70_000)
            // The client port (a restart-only key given as -o port=0) still answers.
            let client = try await daemon.connect()
            #expect(try await client.validate(licenseKey: "HUP").seatsTotal == 1)
            await client.close()
        }
    }
}

func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
