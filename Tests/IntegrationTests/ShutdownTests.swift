import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// SIGTERM under traffic: requests in hand are answered, everything acknowledged is
/// durable, and the process exits 0 within shutdown_timeout_seconds.
@Suite struct ShutdownTests {
    @Test func sigtermUnderLoadExitsZeroInTimeAndKeepsEveryGrant() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let licenses = [TestLicense(key: "TERM", seats: 100_000)]
        let first = try await DaemonProcess.start(licenses: licenses, stateDirectory: stateDirectory, settings: ["shutdown_timeout_seconds": "3"])
        var connections: [SeatConnection] = []
        for _ in 0..<8 { connections.append(try await first.connect()) }
        let granted = GrantLog()
        let clients = connections
        let storm = Task {
            await withTaskGroup(of: Void.self) { group in
                for (index, connection) in clients.enumerated() {
                    group.addTask {
                        for attempt in 0..<5_000 {
                            let user = "t\(index)-\(attempt)"
                            guard let grant = try? await connection.acquire(licenseKey: "TERM", user: user, hostname: "h", hardwareID: user, clientVersion: "1") else { return }
                            await granted.add(grant.token)
                        }
                    }
                }
            }
        }
        // A raw connection idle at SIGTERM is told why it is being closed.
        let raw = try await RawConnection.connect(port: first.port, caFile: first.caFile)
        try await raw.write(.hello())
        guard case .frame(let hello)? = await raw.next(), case .helloAccepted = hello.message else {
            Issue.record("no HelloAccepted")
            return
        }
        try await Task.sleep(for: .milliseconds(500))

        let signalled = ContinuousClock.now
        let status = await first.terminate()
        let took = ContinuousClock.now - signalled
        await storm.value
        #expect(status == 0, "log:\n\(first.log.suffix(3000))")
        #expect(took < .seconds(3) + .seconds(2), "shutdown took \(took)")
        #expect(first.log.contains("msg=stopped"))
        var pushed: [RawConnection.RawEvent] = []
        while let event = await raw.next(timeout: .seconds(2)) {
            pushed.append(event)
            if event == .closed { break }
        }
        #expect(pushed.contains { if case .frame(let frame) = $0, case .error(let error) = frame.message { error.code == .shuttingDown } else { false } }, "\(pushed)")

        let acknowledged = await granted.tokens
        #expect(acknowledged.count > 0)
        let second = try await DaemonProcess.start(stateDirectory: stateDirectory)
        try await second.use { second in
            let client = try await second.connect()
            #expect(try await client.validate(licenseKey: "TERM").seatsInUse == acknowledged.count)
            for token in acknowledged.prefix(200) {
                _ = try await client.heartbeat(token)
            }
            await client.close()
        }
        for connection in connections { await connection.close() }
    }
}

/// Tokens the server acknowledged, collected from many tasks.
actor GrantLog {
    private(set) var tokens: [SessionToken] = []
    func add(_ token: SessionToken) { tokens.append(token) }
}
