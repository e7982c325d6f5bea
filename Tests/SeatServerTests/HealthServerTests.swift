import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import SeatServer
@testable import SeatStorage
import Testing

/// The health listener's answers, in-process through HummingbirdTesting's router framework,
/// with a real `Readiness` and real metrics.
@Suite struct HealthResponderTests {
    static func application(_ readiness: Readiness) -> Application<HealthResponder> {
        let metrics = SeatMetrics()
        let statistics = SeatStore.Statistics(mapSizeBytes: 1 << 20, usedBytes: 8192, commits: 3, committedChanges: 5, lastBatchSize: 2)
        return Application(responder: HealthResponder(readiness: readiness, metrics: {
            metrics.render(SeatMetrics.Snapshot(licenses: [], liveSessions: 4, openConnections: 2, storage: statistics))
        }))
    }

    static func ready() -> Readiness {
        let readiness = Readiness()
        readiness.markStorageOpen()
        readiness.markListening(address: "127.0.0.1:7420")
        readiness.markAdminSocketBound()
        return readiness
    }

    @Test func healthzReadyzAndMetricsAnswerGet() async throws {
        try await Self.application(Self.ready()).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(String(buffer: response.body) == "ok\n")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(String(buffer: response.body) == "ready\n")
            }
            try await client.execute(uri: "/metrics?name=ignored", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                #expect(text.contains("# TYPE seatd_sessions_live gauge\n"))
                #expect(text.contains("\nseatd_sessions_live 4"))
                #expect(response.headers[.contentLength] == String(response.body.readableBytes))
            }
        }
    }

    @Test func headGetsTheHeadersOfGetWithoutTheBody() async throws {
        try await Self.application(Self.ready()).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(response.headers[.contentLength] == "3")
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func otherMethodsAndPathsGetFixedAnswers() async throws {
        try await Self.application(Self.ready()).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(String(buffer: response.body) == "only GET and HEAD\n")
            }
            for path in ["/", "/healthz/", "/nothing"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound, "\(path)")
                    #expect(String(buffer: response.body) == "not found; try /healthz, /readyz or /metrics\n")
                }
            }
        }
    }

    @Test func readyzIs503UntilReadyAndDuringShutdownWhileHealthzStaysOK() async throws {
        let readiness = Readiness()
        try await Self.application(readiness).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == "not ready: storage not open\n")
            }
            readiness.markStorageOpen()
            readiness.markListening(address: "127.0.0.1:7420")
            readiness.markAdminSocketBound()
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            readiness.markShuttingDown()
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == "not ready: shutting down\n")
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }
}

/// The health listener on a real loopback socket: the connection cap and the request
/// deadline, which only a listener (not a responder) can show.
@Suite struct HealthListenerTests {
    /// Runs a `HealthServer` on a free loopback port for `body`, then stops it.
    static func withListener(
        maximumConnections: Int = HealthServer.maximumConnections, requestTimeout: TimeAmount, _ body: (Int) async throws -> Void
    ) async throws {
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let server = HealthServer(
            host: "127.0.0.1", port: 0, responder: HealthResponderTests.application(HealthResponderTests.ready()).responder,
            maximumConnections: maximumConnections, requestTimeout: requestTimeout, logger: silentLogger,
            onListening: { listening.yield($0.port ?? 0) })
        let running = Task {
            // A listener that fails to start ends the wait for its port.
            defer { listening.finish() }
            try await server.run()
        }
        var port: Int?
        for await bound in ports {
            port = bound
            break
        }
        do {
            try await body(try #require(port))
        } catch {
            running.cancel()
            _ = await running.result
            throw error
        }
        running.cancel()
        _ = await running.result
    }

    static let get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    @Test func headAndGetOnOneKeptAliveConnection() async throws {
        try await Self.withListener(requestTimeout: .seconds(120)) { port in
            let connection = try await HTTPTestConnection.connect(port: port)
            try await connection.write("HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + Self.get)
            #expect(try await connection.wait { $0.text.hasSuffix("\r\n\r\nok\n") })
            let text = connection.text
            #expect(text.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 3)
            #expect(text.components(separatedBy: "ok\n").count == 2)
            #expect(text.lowercased().components(separatedBy: "content-length: 3\r\n").count == 3)
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test func theThirtyThirdConnectionIsClosedUnansweredUntilOneCloses() async throws {
        // A deadline far beyond the test, so only the cap can close a connection here.
        try await Self.withListener(requestTimeout: .seconds(600)) { port in
            var holders: [HTTPTestConnection] = []
            for _ in 0..<HealthServer.maximumConnections {
                let holder = try await HTTPTestConnection.connect(port: port)
                try await holder.write(Self.get)
                // Answered: the listener has admitted it, and it stays open (kept alive).
                #expect(try await holder.wait { $0.text.hasSuffix("ok\n") })
                holders.append(holder)
            }
            let refused = try await HTTPTestConnection.connect(port: port)
            try? await refused.write(Self.get)
            #expect(try await refused.wait { $0.isClosed })
            #expect(refused.text.isEmpty)
            #expect(holders.allSatisfy { !$0.isClosed })

            await holders.removeFirst().close()
            // The freed slot is given back when the server sees the close: poll for it.
            var answered = false
            let deadline = ContinuousClock.now + .seconds(20)
            while !answered && ContinuousClock.now < deadline {
                let next = try await HTTPTestConnection.connect(port: port)
                try? await next.write(Self.get)
                _ = try await next.wait { $0.isClosed || $0.text.hasSuffix("ok\n") }
                answered = next.text.hasSuffix("ok\n")
                await next.close()
                if !answered { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(answered)
            for holder in holders { await holder.close() }
        }
    }

    @Test func aClientTricklingItsRequestIsCutOffAtTheDeadline() async throws {
        let limit = Duration.milliseconds(500)
        try await Self.withListener(requestTimeout: .milliseconds(500)) { port in
            let started = ContinuousClock.now
            let slow = try await HTTPTestConnection.connect(port: port)
            // Under load the deadline (counted from the accept) may pass before this first
            // write: then the server has closed already, which is what is checked below.
            try? await slow.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            // A header byte every 100 ms: an idle timer would never fire. Give up at 40x.
            while !slow.isClosed && ContinuousClock.now < started + limit * 40 {
                try? await slow.write("x")
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(slow.isClosed)
            #expect(ContinuousClock.now - started >= limit)
            #expect(slow.text.isEmpty)
        }
    }
}
