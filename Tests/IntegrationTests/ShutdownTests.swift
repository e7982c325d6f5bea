import Foundation
import NIOCore
import NIOPosix
import NIOSSL
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
        let settings = DaemonProcess.durable.merging(["shutdown_timeout_seconds": "3"]) { $1 }
        let first = try await DaemonProcess.start(licenses: licenses, stateDirectory: stateDirectory, settings: settings)
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
        // SIGTERM in the middle of the storm.
        try await waitUntil("grants under way") { await granted.tokens.count >= 20 }

        let signalled = ContinuousClock.now
        let status = await first.terminate()
        let took = ContinuousClock.now - signalled
        await storm.value
        #expect(status == 0, "log:\n\(first.log.suffix(3000))")
        // Bounded by shutdown_timeout_seconds; four times it, for a loaded machine.
        #expect(took < .seconds(3) * 4, "shutdown took \(took)")
        #expect(first.log.contains("msg=stopped"))
        var pushed: [RawConnection.RawEvent] = []
        while let event = await raw.next(timeout: .seconds(2)) {
            pushed.append(event)
            if event == .closed { break }
        }
        #expect(pushed.contains { if case .frame(let frame) = $0, case .error(let error) = frame.message { error.code == .shuttingDown } else { false } }, "\(pushed)")

        let acknowledged = await granted.tokens
        #expect(acknowledged.count > 0)
        let second = try await DaemonProcess.start(stateDirectory: stateDirectory, settings: DaemonProcess.durable)
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

extension ShutdownTests {
    /// A client that pipelines requests and never reads a reply leaves its connection
    /// stuck writing, which graceful shutdown alone would wait on forever:
    /// shutdown_timeout_seconds is what ends it, and seatd still exits 0; meanwhile /readyz
    /// answers 503.
    @Test func shutdownTimeoutBoundsAConnectionThatStopsReading() async throws {
        // ~16 KB of features make every Validated reply large, so socket buffers (which
        // autotune to megabytes on loopback) fill after a few hundred replies.
        let features = Dictionary(uniqueKeysWithValues: (0..<60).map { ("feature\($0)", String(repeating: "x", count: 250)) })
        try await withDaemon(licenses: [TestLicense(key: "SLOW", seats: 1, features: features)], settings: ["shutdown_timeout_seconds": "1"]) { daemon in
            let metricsPort = try await daemon.metricsPort()
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(daemon.caFile))
            let context = try NIOSSLContext(configuration: tls)
            // autoRead off: after the handshake (NIOSSL reads for it by itself) and the first
            // reply, this client reads nothing more, and a small receive buffer fills fast.
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_rcvbuf), value: 4096)
                .channelOption(.autoRead, value: false)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    }
                }
                .connect(host: "127.0.0.1", port: daemon.port).get()
            defer { channel.close(promise: nil) }
            channel.read()
            var requestID: UInt32 = 1
            for batch in 0..<5 {
                var buffer = ByteBuffer()
                if batch == 0 { ClientFrame.hello().encode(into: &buffer) }
                for _ in 0..<1_000 {
                    requestID += 1
                    ClientFrame(requestID: requestID, message: .validate(licenseKey: "SLOW")).encode(into: &buffer)
                }
                channel.writeAndFlush(buffer, promise: nil)
            }
            // Wait until seatd is stuck: its validate count stops moving.
            var answered = -1.0
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(300))
                let now = PrometheusSamples(try await HTTPProbe.get(port: metricsPort, path: "/metrics").body)["seatd_request_duration_seconds_count{operation=\"validate\"}"] ?? 0
                if now > 0 && now == answered { break }
                answered = now
            }
            #expect(answered > 0 && answered < 5_000, "validate requests answered before the client stopped reading: \(answered)")

            let signalled = ContinuousClock.now
            daemon.signal(SIGTERM)
            // While the stuck connection holds the shutdown up, the health listener (stopped
            // last) is still there to tell probes why the daemon is not ready.
            var readiness: HTTPProbe.Response?
            while daemon.isRunning && readiness?.status != 503 {
                readiness = try? await HTTPProbe.get(port: metricsPort, path: "/readyz")
                if readiness?.status != 503 { try await Task.sleep(for: .milliseconds(20)) }
            }
            await daemon.waitForExit()
            let took = ContinuousClock.now - signalled
            let status = daemon.exitStatus
            #expect(readiness?.status == 503)
            #expect(readiness?.body == "not ready: shutting down\n")
            #expect(status == 0)
            #expect(took >= .milliseconds(900), "shutdown took \(took): the stuck connection did not hold it up")
            // 1 s timeout + at most 1 s waiting for the stuck peer's TLS close_notify; four
            // times that, for a loaded machine (a shutdown that waits on the stuck peer
            // forever is what this catches).
            #expect(took < .seconds(8), "shutdown took \(took)")
            #expect(daemon.log.contains("msg=stopped"))
            #expect(daemon.log.contains("shutdown_timeout_seconds reached"))
        }
    }
}

/// Tokens the server acknowledged, collected from many tasks.
actor GrantLog {
    private(set) var tokens: [SessionToken] = []
    func add(_ token: SessionToken) { tokens.append(token) }
}
