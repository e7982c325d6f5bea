import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import SeatTestPostgres
import Synchronization
import Testing

/// Two seatd nodes on one PostgreSQL (`storage = postgresql`): the first one started is
/// active, the other its standby. Each test runs on a fresh database of the suite's own
/// PostgreSQL server (`PostgresServer`), with the real binary, killed, stopped and cut off.
@Suite(.serialized) struct FailoverTests {
    static let license = TestLicense(key: "HA", seats: 30)

    /// The daemon settings of node `name` on `url`, listening on `port`.
    static func node(_ name: String, port: Int, url: String, lease: Int = 4, tlsFrom other: DaemonProcess? = nil) -> [String: String] {
        var settings = [
            "storage": "postgresql", "postgresql_url": url, "cluster_node_name": name, "port": "\(port)",
            "cluster_advertise_address": "127.0.0.1:\(port)", "cluster_lease_seconds": "\(lease)",
        ]
        // Both nodes present the same certificate, so clients trust one CA for the pair.
        if let other {
            settings["tls_certificate_file"] = other.stateDirectory + "/tls/server.pem"
            settings["tls_private_key_file"] = other.stateDirectory + "/tls/server-key.pem"
        }
        return settings
    }

    /// Node a, active, and node b, its standby.
    static func startPair(url: String, lease: Int = 4, urlOfA: String? = nil) async throws -> (a: DaemonProcess, b: DaemonProcess) {
        let ports = try FreePorts.reserve(2)
        let a = try await DaemonProcess.start(licenses: [license], settings: node("a", port: ports[0], url: urlOfA ?? url, lease: lease))
        try await waitUntilServing(a)
        let b = try await DaemonProcess.start(licenses: [license], settings: node("b", port: ports[1], url: url, lease: lease, tlsFrom: a))
        _ = try await b.waitForLog(containing: "cluster: serving as a standby")
        // Until its first look at the leader row a standby names no active node.
        let metrics = try await b.metricsPort()
        try await waitUntil("the standby to know the active node") {
            (try? await HTTPProbe.get(port: metrics, path: "/readyz"))?.body.contains("the active node is 127.0.0.1:\(a.port)") == true
        }
        return (a, b)
    }

    /// Waits until `node` serves as the active node: its second client listener (the
    /// first was the standby's) is bound.
    static func waitUntilServing(_ node: DaemonProcess, timeout: Duration = .seconds(30)) async throws {
        _ = try await node.waitForLog(containing: "cluster: this node is active", timeout: timeout)
        _ = try await node.waitForLog(containing: "msg=listening", skipping: 1, timeout: timeout)
    }

    /// The health listener of a node that started as a standby and took over: its second.
    static func metricsPortOfTheActivePhase(_ node: DaemonProcess) async throws -> Int {
        let line = try await node.waitForLog(containing: "msg=\"health and metrics listening\"", skipping: 1)
        return try #require(line.split(separator: " ").first { $0.hasPrefix("address=") }?.split(separator: ":").last.flatMap { Int($0) })
    }

    static func connect(to node: DaemonProcess, trusting ca: DaemonProcess) async throws -> SeatConnection {
        try await SeatConnection.connect(SeatClientConfiguration(
            host: "127.0.0.1", port: node.port, trustRootsFile: ca.caFile, requestTimeout: .seconds(10), clientName: "failover-tests"))
    }

    @Test func aStandbyRefusesClientsNamingTheActiveNode() async throws {
        let url = try await PostgresServer.shared().makeDatabaseURL()
        let (a, b) = try await Self.startPair(url: url)
        try await a.use { a in
            try await b.use { b in
                let standby = try await Self.connect(to: b, trusting: a)
                let refusal = await #expect(throws: ErrorReply.self) {
                    try await standby.acquire(licenseKey: "HA", user: "u", hostname: "h", hardwareID: "u", clientVersion: "1")
                }
                #expect(refusal?.code == .notActive)
                #expect(refusal?.detail == .activeNode(address: "127.0.0.1:\(a.port)"))
                let standbyReady = try await HTTPProbe.get(port: try await b.metricsPort(), path: "/readyz")
                #expect(standbyReady.status == 503)
                #expect(standbyReady.body.contains("standby; the active node is 127.0.0.1:\(a.port)"))
                let activeReady = try await HTTPProbe.get(port: try await Self.metricsPortOfTheActivePhase(a), path: "/readyz")
                #expect(activeReady.status == 200)
                let status = try await SeatctlProcess.run(["status", "--json", "--admin-socket", try await b.adminSocket()], daemon: b)
                #expect(status.status == 0)
                #expect(status.stdout.contains(#""role":"standby""#))
                #expect(status.stdout.contains(#""active_node":"a""#))
                let table = try await SeatctlProcess.run(["status", "--admin-socket", try await a.adminSocket()], daemon: a)
                #expect(table.stdout.contains("a     active"))
                #expect(table.stdout.contains("HA"))
                // The URL's password never reaches the log.
                #expect(!a.log.contains(PostgresServer.password) && !b.log.contains(PostgresServer.password))
                await standby.close()
            }
        }
    }

    @Test func aKilledActiveNodeIsReplacedWithinFiveSecondsLosingNothingAcknowledged() async throws {
        let url = try await PostgresServer.shared().makeDatabaseURL()
        let (a, b) = try await Self.startPair(url: url)
        try await b.use { b in
            var connections: [SeatConnection] = []
            for _ in 0..<12 { connections.append(try await Self.connect(to: a, trusting: a)) }
            let acknowledged = AcknowledgedSessions()
            // Reads the seats in use from whichever node serves, from before the kill to the end.
            let peak = Mutex<UInt32>(0)
            let monitor = Task {
                for node in [a, b] {
                    while !Task.isCancelled {
                        guard let watcher = try? await Self.connect(to: node, trusting: a) else {
                            if node === a { break }
                            try? await Task.sleep(for: .milliseconds(10))
                            continue
                        }
                        while !Task.isCancelled, let inUse = try? await watcher.validate(licenseKey: "HA").seatsInUse {
                            peak.withLock { $0 = max($0, inUse) }
                            try? await Task.sleep(for: .milliseconds(5))
                        }
                        await watcher.close()
                        if node === a { break }
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                }
            }
            let storm = acknowledged.storm(connections, license: "HA", attempts: 200, releasingEvery: 2)
            try await waitUntil("grants acknowledged by the active node") { await acknowledged.held.count >= 10 }
            let killed = ContinuousClock.now
            await a.kill()
            await storm.value
            // Polls the standby until it serves: the failover time as a client sees it.
            var served: Duration?
            var client: SeatConnection?
            while served == nil && ContinuousClock.now - killed < .seconds(20) {
                if let connection = try? await Self.connect(to: b, trusting: a) {
                    if (try? await connection.validate(licenseKey: "HA")) != nil {
                        served = ContinuousClock.now - killed
                        client = connection
                    } else {
                        await connection.close()
                    }
                }
                if served == nil { try await Task.sleep(for: .milliseconds(25)) }
            }
            let failover = try #require(served, "the standby never served")
            print("failover after SIGKILL of the active node: \(failover)")
            #expect(failover < .seconds(5))
            let survivor = try #require(client)
            let live = await acknowledged.held
            for token in live { _ = try await survivor.heartbeat(token) }
            for token in await acknowledged.releaseUnacknowledged {
                do {
                    _ = try await survivor.heartbeat(token)
                } catch let reply as ErrorReply {
                    #expect(reply.code == .sessionReleased)
                }
            }
            let inUse = try await survivor.validate(licenseKey: "HA").seatsInUse
            #expect(inUse <= UInt32(Self.license.seats))
            #expect(inUse >= UInt32(live.count))
            // The new active node grants up to the seat count and not one more.
            var granted = Int(inUse)
            while granted < Self.license.seats + 3 {
                do {
                    _ = try await survivor.acquire(licenseKey: "HA", user: "after-\(granted)", hostname: "h", hardwareID: "after-\(granted)", clientVersion: "1")
                    granted += 1
                } catch let reply as ErrorReply where reply.code == .noSeats {
                    break
                }
            }
            #expect(granted == Self.license.seats)
            monitor.cancel()
            await monitor.value
            #expect(peak.withLock { $0 } <= UInt32(Self.license.seats))
            #expect(peak.withLock { $0 } > 0)
            await survivor.close()
            for connection in connections { await connection.close() }
        }
        try? FileManager.default.removeItem(atPath: a.stateDirectory)
    }

    @Test func aStoppedFormerLeaderCommitsNothingOnceAnotherNodeTookOver() async throws {
        let url = try await PostgresServer.shared().makeDatabaseURL()
        let (a, b) = try await Self.startPair(url: url, lease: 3)
        try await b.use { b in
            let early = try await Self.connect(to: a, trusting: a)
            let held = try await early.acquire(licenseKey: "HA", user: "early", hostname: "h", hardwareID: "early", clientVersion: "1")
            let late = try await Self.connect(to: a, trusting: a)
            a.signal(SIGSTOP)
            try await Self.waitUntilServing(b)
            // Sent while the old leader is stopped; it reads the request when it resumes.
            let pending = Task {
                try await late.acquire(licenseKey: "HA", user: "late", hostname: "h", hardwareID: "late", clientVersion: "1")
            }
            a.signal(SIGCONT)
            await a.waitForExit(timeout: .seconds(30))
            #expect(a.exitStatus == 75)
            let outcome = await pending.result
            #expect(throws: (any Error).self) { try outcome.get() }
            let survivor = try await Self.connect(to: b, trusting: a)
            _ = try await survivor.heartbeat(held.token)
            #expect(try await survivor.validate(licenseKey: "HA").seatsInUse == 1)
            // The log holds no batch of the old epoch after the new one began.
            let epochs = try await PostgresServer.shared().logEpochs(url: url)
            #expect(epochs == epochs.sorted())
            #expect(Set(epochs).count <= 2)
            await survivor.close()
            await early.close()
            await late.close()
        }
        try? FileManager.default.removeItem(atPath: a.stateDirectory)
    }

    /// The batch the active node is about to append is in the log already (an append that
    /// timed out but reached PostgreSQL): the commit is fenced, its caller told to move on,
    /// and the node ends so that it restarts from the log.
    @Test func aFencedCommitEndsTheActiveNode() async throws {
        let server = try await PostgresServer.shared()
        let url = try await server.makeDatabaseURL()
        let a = try await DaemonProcess.start(licenses: [Self.license], settings: Self.node("a", port: try FreePorts.reserve(1)[0], url: url))
        try await Self.waitUntilServing(a)
        let client = try await Self.connect(to: a, trusting: a)
        _ = try await client.acquire(licenseKey: "HA", user: "first", hostname: "h", hardwareID: "first", clientVersion: "1")
        try await server.execute(url: url, "INSERT INTO seatd_log SELECT max(sequence) + 1, (SELECT epoch FROM seatd_leader), '\\x00' FROM seatd_log")
        do {
            _ = try await client.acquire(licenseKey: "HA", user: "second", hostname: "h", hardwareID: "second", clientVersion: "1")
            Issue.record("a fenced commit was acknowledged")
        } catch let reply as ErrorReply {
            #expect(reply.code == .notActive)
        } catch {
            // The process may end before the reply is written on a loaded machine.
        }
        await a.waitForExit(timeout: .seconds(30))
        #expect(a.exitStatus == 75)
        try? FileManager.default.removeItem(atPath: a.stateDirectory)
    }

    @Test func aCutBetweenTheActiveNodeAndPostgreSQLEndsWithOneActiveNode() async throws {
        let server = try await PostgresServer.shared()
        let url = try await server.makeDatabaseURL()
        let proxy = try await TCPProxy.start(targetPort: server.port)
        let (a, b) = try await Self.startPair(url: url, lease: 3, urlOfA: server.url(of: url, port: proxy.port))
        try await b.use { b in
            proxy.setBlackholing(true)
            proxy.setRefusing(true)
            try await Self.waitUntilServing(b)
            await a.waitForExit(timeout: .seconds(30))
            #expect(a.exitStatus == 75)
            let survivor = try await Self.connect(to: b, trusting: a)
            _ = try await survivor.acquire(licenseKey: "HA", user: "after-cut", hostname: "h", hardwareID: "after-cut", clientVersion: "1")
            await survivor.close()
        }
        try? FileManager.default.removeItem(atPath: a.stateDirectory)
    }
}
