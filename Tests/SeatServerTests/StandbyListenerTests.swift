import Foundation
import Logging
import NIOCore
import NIOSSL
import SeatClient
import SeatCore
@testable import SeatServer
import SeatProtocol
import Synchronization
import Testing

/// The client (SeatClient) against real TLS listeners whose responder is a
/// `StandbyResponder` (protocol-spec.md 9b), or the real request handling for the active
/// node: the client follows the named node, tries each server once, and fails with the
/// last `notActive` when only standbys answer.
@Suite struct StandbyListenerTests {
    /// A listener on 127.0.0.1 (a port it picks) answering as a standby (the active node
    /// it names can be set once every node's port is known), or with the responder
    /// `answering` makes of its standby responder.
    final class Node: Sendable {
        /// What the responder reads: the active node it names, and how many requests it refused.
        final class Record: Sendable {
            let activeNode = Mutex("")
            let refusals = Mutex(0)
        }
        let record: Record
        /// The node's open connections.
        let directory = ConnectionDirectory()
        let port: Int
        private let task: Task<Void, any Error>

        init(tls: DevelopmentCA, answering: (StandbyResponder) -> any RequestResponder) async throws {
            let context = try ServerTLS.makeContext(certificateChainFile: tls.serverCertificatePath, privateKeyFile: tls.serverPrivateKeyPath)
            let metrics = SeatMetrics()
            let logger = Logger(label: "standby")
            let limiter = ConnectionLimiter(limit: 16)
            let record = Record()
            self.record = record
            let standby = StandbyResponder(activeNode: {
                record.refusals.withLock { $0 += 1 }
                return record.activeNode.withLock { $0 }
            })
            // Anonymous: a client without a key reaches the responder with its first request.
            var settings = ClientListener.ConnectionSettings(ServerConfiguration())
            settings.anonymousTenant = "default"
            let (ports, portSink) = AsyncStream<Int>.makeStream()
            let listener = ClientListener(
                host: "127.0.0.1", port: 0,
                connectionSettings: LiveValue(settings),
                tlsContext: LiveValue(context),
                limiter: limiter,
                unauthenticated: UnauthenticatedConnections(limits: UnauthenticatedConnections.Limits(ServerConfiguration(), connectionLimit: 16)),
                refusals: ConnectionRefusals(metrics: metrics, logger: logger) { [:] },
                services: ConnectionHandler.Services(responder: answering(standby), directory: directory, logger: logger),
                metrics: metrics, logger: logger,
                onListening: { address in
                    portSink.yield(address.port ?? 0)
                    portSink.finish()
                }
            )
            task = Task { try await listener.run() }
            var iterator = ports.makeAsyncIterator()
            port = try #require(await iterator.next())
        }

        var address: String { "127.0.0.1:\(port)" }

        func stop() async {
            task.cancel()
            _ = await task.result
        }
    }

    static func configuration(_ ports: [Int], tls: DevelopmentCA, accessKey: String? = nil) -> SeatClientConfiguration {
        SeatClientConfiguration(
            servers: ports.map { ServerEndpoint(host: "127.0.0.1", port: $0) }, trustRootsFile: tls.caCertificatePath,
            connectTimeout: .seconds(10), requestTimeout: .seconds(10), accessKey: accessKey
        )
    }

    /// `count` standbys, then (with `active`) a node answering with it; all stopped after `body`.
    func withStandbys(_ count: Int, active: (any RequestResponder)? = nil, _ body: ([Node], DevelopmentCA) async throws -> Void) async throws {
        let standbys: [@Sendable (StandbyResponder) -> any RequestResponder] = Array(repeating: { $0 }, count: count)
        try await withNodes(standbys + (active.map { responder in [{ _ in responder }] } ?? []), body)
    }

    /// A node for each of `responders` (given the node's standby responder); all stopped after `body`.
    func withNodes(_ responders: [@Sendable (StandbyResponder) -> any RequestResponder], _ body: ([Node], DevelopmentCA) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("standby-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tls = DevelopmentCA(directory: directory)
        try tls.ensure(hostnames: ["127.0.0.1"])
        var nodes: [Node] = []
        for responder in responders { nodes.append(try await Node(tls: tls, answering: responder)) }
        do {
            try await body(nodes, tls)
        } catch {
            for node in nodes { await node.stop() }
            throw error
        }
        for node in nodes { await node.stop() }
    }

    /// A (first) names B; B names A, already tried: the round is over. Each is asked once,
    /// and the failure is B's, in a sentence naming both.
    @Test(arguments: [nil, "seatd_0123456789abcdef_c2VjcmV0"])
    func standbysNamingEachOtherEndTheSearchWithTheLastRefusal(accessKey: String?) async throws {
        try await withStandbys(2) { standbys, tls in
            let (a, b) = (standbys[0], standbys[1])
            a.record.activeNode.withLock { $0 = b.address }
            b.record.activeNode.withLock { $0 = a.address }
            let configuration = Self.configuration([a.port, b.port], tls: tls, accessKey: accessKey)
            let error = await #expect(throws: ErrorReply.self) {
                _ = try await SeatConnection.connectToActive(configuration) { try await $0.validate(licenseKey: "L") }
            }
            #expect(error?.code == .notActive)
            #expect(error?.message == "\(b.address) is a standby; the active node is \(a.address)")
            #expect(a.record.refusals.withLock { $0 } == 1)
            #expect(b.record.refusals.withLock { $0 } == 1)
        }
    }

    /// A names C, the last configured server: C is tried before B (which comes first in
    /// the list). C is not listening, so B comes last and its refusal is the failure (in
    /// list order, C's connection failure would be).
    @Test func theNamedNodeIsTriedBeforeTheOthers() async throws {
        try await withStandbys(2) { standbys, tls in
            let (a, b) = (standbys[0], standbys[1])
            let closed = try await Node(tls: tls) { $0 }
            let cPort = closed.port
            await closed.stop()
            a.record.activeNode.withLock { $0 = "127.0.0.1:\(cPort)" }
            let configuration = Self.configuration([a.port, b.port, cPort], tls: tls)
            let error = await #expect(throws: ErrorReply.self) {
                _ = try await SeatConnection.connectToActive(configuration) { try await $0.validate(licenseKey: "L") }
            }
            #expect(error?.message == "\(b.address) is a standby and no node is active right now (a takeover may be in progress)")
            #expect(a.record.refusals.withLock { $0 } == 1)
            #expect(b.record.refusals.withLock { $0 } == 1)
        }
    }

    /// A lease whose every server is a standby during a takeover fails its start (no wait)
    /// with notActive, after asking each once.
    @Test func aLeaseFindingOnlyStandbysFailsWithNotActive() async throws {
        try await withStandbys(2) { standbys, tls in
            let configuration = Self.configuration(standbys.map(\.port), tls: tls)
            let request = SeatRequest(licenseKey: "L", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1")
            let error = await #expect(throws: ErrorReply.self) {
                _ = try await SeatLease.acquire(request, configuration: configuration)
            }
            #expect(error?.code == .notActive)
            #expect(error?.message == "\(standbys[1].address) is a standby and no node is active right now (a takeover may be in progress)")
            for standby in standbys { #expect(standby.record.refusals.withLock { $0 } == 1) }
        }
    }

    /// The first server is a standby naming the second, the active node (the server's real
    /// request handling): the lease gets its seat there, and a one-shot request its answer.
    @Test func theActiveNodeAStandbyNamesGrantsTheSeat() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let (dispatcher, _) = try seats.dispatcher()
        try await withStandbys(1, active: dispatcher) { nodes, tls in
            let (standby, active) = (nodes[0], nodes[1])
            standby.record.activeNode.withLock { $0 = active.address }
            let configuration = Self.configuration([standby.port, active.port], tls: tls)

            let (connection, validated) = try await SeatConnection.connectToActive(configuration) { try await $0.validate(licenseKey: "LIC-1") }
            await connection.close()
            #expect(validated.seatsTotal == 1)
            #expect(standby.record.refusals.withLock { $0 } == 1)

            let request = SeatRequest(licenseKey: "LIC-1", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1")
            let lease = try await SeatLease.acquire(request, configuration: configuration)
            #expect(standby.record.refusals.withLock { $0 } == 2)
            guard case .held(let grant) = lease.state else {
                Issue.record("not held: \(lease.state)")
                return
            }
            #expect(grant.seatsInUse == 1)
            #expect(try await lease.release()?.ended == true)
        }
    }
    /// A takeover under a held lease: the active node (the first server) is demoted (it
    /// drops its connections and names the new one), the third takes over the shared
    /// seats. The lease reconnects to its first server, now a standby refusing
    /// Authenticate, follows it straight to the new active node (never asking the second)
    /// and re-attaches there by heartbeat: the same token, one seat.
    @Test func aLeaseReattachesItsSessionOnTheNodeThatTookOver() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1, tenant: "acme")])
        defer { seats.remove() }
        let (dispatcher, access) = try seats.dispatcher()
        _ = try await access.addTenant(id: "acme", name: "")
        let (key, secret) = try await access.createKey(tenant: "acme", role: .client, label: "")
        let roles = Roles()
        let switching: [@Sendable (StandbyResponder) -> any RequestResponder] = (0..<3).map { index in
            { standby in SwitchingResponder(active: dispatcher, standby: standby, isActive: { roles.active.withLock { $0 } == index }) }
        }
        try await withNodes(switching) { nodes, tls in
            for standby in nodes.dropFirst() { standby.record.activeNode.withLock { $0 = nodes[0].address } }
            let configuration = Self.configuration(nodes.map(\.port), tls: tls, accessKey: secret)
            let request = SeatRequest(licenseKey: "LIC-1", user: "u", hostname: "h", hardwareID: "hw", clientVersion: "1")
            let lease = try await SeatLease.acquire(request, configuration: configuration)
            let token = try #require(lease.session)
            let states = lease.states

            roles.active.withLock { $0 = 2 }
            for standby in nodes.dropLast() { standby.record.activeNode.withLock { $0 = nodes[2].address } }
            #expect(nodes[0].directory.closeConnections(authenticatedWith: key.id) == 1)

            let regained = try await Self.first(of: states, within: .seconds(30)) { state in
                if case .regained = state { true } else { state.isFinal }
            }
            guard case .regained(let grant, let recovery) = regained else {
                Issue.record("not regained: \(regained)")
                return
            }
            #expect(recovery == .sameSession)
            #expect(grant.token == token)
            #expect(lease.session == token)
            #expect(nodes[0].record.refusals.withLock { $0 } == 1, "the demoted node refused the reconnect's Authenticate")
            #expect(nodes[1].record.refusals.withLock { $0 } == 0, "the standby in between was skipped")
            guard case .success(let snapshot) = await seats.validate() else { return }
            #expect(snapshot.seatsInUse == 1)
            #expect(try await lease.release()?.ended == true)
        }
    }

    /// Which node is active: the one of this index.
    final class Roles: Sendable {
        let active = Mutex(0)
    }

    /// A node that answers as the active node or as a standby, as `isActive` says (what an
    /// election decides in the daemon).
    struct SwitchingResponder: RequestResponder {
        let active: RequestDispatcher
        let standby: StandbyResponder
        let isActive: @Sendable () -> Bool

        func respond(to message: ClientMessage, requestID: UInt32, on link: ConnectionLink, completion: @escaping @Sendable (RequestOutcome) -> Void) {
            if isActive() {
                active.respond(to: message, requestID: requestID, on: link, completion: completion)
            } else {
                standby.respond(to: message, requestID: requestID, on: link, completion: completion)
            }
        }

        func connectionClosed(_ link: ConnectionLink) {
            active.connectionClosed(link)
        }
    }

    /// The first state `matches` accepts, waiting at most `limit`.
    static func first(of states: AsyncStream<LeaseState>, within limit: Duration, where matches: @escaping @Sendable (LeaseState) -> Bool) async throws -> LeaseState {
        try await withThrowingTaskGroup(of: LeaseState?.self) { group in
            group.addTask {
                for await state in states where matches(state) { return state }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return try #require(first, "no such state within \(limit)")
        }
    }
}
