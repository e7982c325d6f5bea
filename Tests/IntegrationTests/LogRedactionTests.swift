import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// Session tokens are bearer secrets: no log line may carry one, even at debug level.
@Suite struct LogRedactionTests {
    @Test func debugLogHoldsNoSessionToken() async throws {
        let daemon = try await DaemonProcess.start(licenses: [TestLicense(key: "LOG", seats: 2)], settings: ["log_level": "trace", "lease_seconds": "2", "heartbeat_interval_seconds": "1", "sweep_interval_seconds": "0.2"])
        try await daemon.use { daemon in
            let client = try await daemon.connect()
            var tokens: [SessionToken] = []
            for user in ["a", "b"] {
                tokens.append(try await client.acquire(licenseKey: "LOG", user: user, hostname: "h", hardwareID: user, clientVersion: "1").token)
            }
            // Success and every failure path a token can take: heartbeat, release,
            // release again, heartbeat after release, expiry by the sweeper, unknown token.
            _ = try await client.heartbeat(tokens[0])
            _ = try await client.release(tokens[0])
            _ = try await client.release(tokens[0])
            _ = try? await client.heartbeat(tokens[0])
            try await daemon.waitForLog(containing: "msg=sweep")
            _ = try? await client.heartbeat(tokens[1])
            var random = SystemRandomNumberGenerator()
            let stranger = SessionToken.random(using: &random)
            _ = try? await client.heartbeat(stranger)
            tokens.append(stranger)
            daemon.signal(SIGHUP)
            try await daemon.waitForLog(containing: "msg=\"configuration reloaded\"")
            await client.close()
            #expect(await daemon.terminate() == 0)

            let log = daemon.log.lowercased()
            #expect(log.contains("level=debug") || log.contains("level=trace"))
            for token in tokens {
                #expect(!log.contains(token.hex.lowercased()), "token \(token) appears in the log")
            }
        }
    }
}
