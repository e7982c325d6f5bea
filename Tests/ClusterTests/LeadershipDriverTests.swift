import NIOCore
import PostgresNIO
@testable import SeatCluster
import SeatStorage
import Synchronization
import Testing

/// The election against a real PostgreSQL, with two nodes in this process on sessions of
/// their own. Their leases (4 s) outlast a loaded machine's pauses, so a leader loses only
/// what a test takes from it; the stalled leader whose lease must run out holds 1.2 s.
/// Waits allow 4x or more.
@Suite("ClusterTests: leadership driver")
struct LeadershipDriverTests {
    static let lease = TimeAmount.seconds(4)
    static let poll = TimeAmount.milliseconds(50)

    /// A driver running in a task of its own, and the events it has published so far.
    final class Node: Sendable {
        let driver: LeadershipDriver
        let name: String
        private let seen = Mutex<[LeadershipEvent]>([])
        private let task = Mutex<Task<Void, Never>?>(nil)

        init(_ name: String, database: ClusterDatabase) throws {
            self.name = name
            driver = try LeadershipDriver(
                settings: database.settings,
                configuration: LeadershipConfiguration(node: name, address: "\(name).test:7070", lease: LeadershipDriverTests.lease, pollInterval: LeadershipDriverTests.poll),
                logger: database.logger
            )
        }

        func start() {
            let driver = driver
            let collector = Task { [self] in
                for await event in driver.events { seen.withLock { $0.append(event) } }
            }
            task.withLock { $0 = Task { await driver.run(); await collector.value } }
        }

        /// Cancels the driver, as a stopped process would close its sessions.
        func stop() async {
            let running = task.withLock { $0 }
            running?.cancel()
            await running?.value
        }

        var events: [LeadershipEvent] { seen.withLock { $0 } }

        var activeEpoch: UInt64? {
            var epoch: UInt64?
            for event in events {
                switch event {
                case .becameActive(let value): epoch = value
                case .lostLeadership: epoch = nil
                case .activeNodeChanged: break
                }
            }
            return epoch
        }

        var losses: [LeadershipLossReason] {
            events.compactMap { if case .lostLeadership(let reason) = $0 { reason } else { nil } }
        }
    }

    /// The first node of a cluster, once it leads epoch 1.
    func startLeader(_ database: ClusterDatabase) async throws -> Node {
        let a = try Node("a", database: database)
        a.start()
        try await eventually("a to lead") { a.activeEpoch == 1 }
        return a
    }

    /// A second node, once it has seen a as the active node.
    func startStandby(_ database: ClusterDatabase) async throws -> Node {
        let b = try Node("b", database: database)
        b.start()
        try await eventually("b to follow a") { b.events.contains(.activeNodeChanged(node: "a", address: "a.test:7070")) }
        return b
    }

    func leader(_ database: ClusterDatabase) async throws -> LeaderRecord {
        let registry = try ClusterRegistry(settings: database.settings, logger: database.logger)
        defer { Task { await registry.close() } }
        return try await registry.leader()
    }

    @Test func theFirstNodeLeadsEpochOneAndTheOtherFollowsIt() async throws {
        let database = try await ClusterDatabase.make()
        // Renewals seen rather than slept through.
        let a = try await startLeader(database)
        let b = try await startStandby(database)
        let first = try #require(try await leader(database).leaseUntil)
        var renewals = 0
        var last = first
        try await eventually("a to renew its lease twice") {
            if let until = try await leader(database).leaseUntil, until > last {
                renewals += 1
                last = until
            }
            return renewals >= 2
        }
        #expect(a.activeEpoch == 1 && a.losses.isEmpty)
        #expect(b.activeEpoch == nil)
        let record = try await leader(database)
        #expect(record.epoch == 1 && record.node == "a" && !record.leaseExpired && record.lockHolderPID == record.backendPID)
        await a.stop()
        await b.stop()
    }

    /// A leader whose process ends (its sessions close): the standby takes the free lock at
    /// its next poll, and the old epoch's appends are fenced.
    @Test func aStandbyTakesOverWithinASecondWhenTheLeadersSessionCloses() async throws {
        let database = try await ClusterDatabase.make()
        let a = try await startLeader(database)
        let b = try await startStandby(database)

        let log = try database.makeLog()
        defer { Task { await log.close() } }
        _ = try await onThread { () throws(StorageError) in try log.append(sequence: 1, epoch: 1, payload: [1]) }.get()

        let stopped = ContinuousClock.now
        await a.stop()
        try await eventually("b to take over", timeout: .seconds(4)) { b.activeEpoch == 2 }
        let takeover = ContinuousClock.now - stopped
        print("takeover after the leader's session closed: \(takeover)")
        #expect(takeover < .seconds(1))

        let stale = await onThread { () throws(StorageError) in try log.append(sequence: 2, epoch: 1, payload: [2]) }
        guard case .failure(.fenced) = stale else { Issue.record("the deposed epoch's append gave \(stale)"); return }
        _ = try await onThread { () throws(StorageError) in try log.append(sequence: 2, epoch: 2, payload: [2]) }.get()
        #expect(try await database.sequences() == [1, 2])
        await b.stop()
    }

    /// A leader that keeps its lock session open but stops renewing (a stopped process, or
    /// one cut off from PostgreSQL whose connection stays up): after the lease the standby
    /// terminates its backend and takes over; its appends are fenced from then on.
    @Test func aStandbyTerminatesALeaderThatStoppedRenewingAndTakesOver() async throws {
        let database = try await ClusterDatabase.make()
        // The stalled leader: takes over with the driver's own statement, then never renews.
        let stalled = try await database.server.connect(database: database.settings.database)
        let takeover: PostgresQuery = """
            UPDATE seatd_leader SET epoch = epoch + 1, node = 'stalled', address = 'stalled.test:7070',
                lease_until = now() + interval '1200 milliseconds', backend_pid = pg_backend_pid()
            WHERE id = 1 AND pg_try_advisory_lock(\(ClusterSchema.leadershipLockKey)) RETURNING epoch
            """
        var stalledEpoch: Int64 = 0
        for try await epoch in try await stalled.query(takeover, logger: database.logger).decode(Int64.self) { stalledEpoch = epoch }
        #expect(stalledEpoch == 1)
        let took = ContinuousClock.now

        let b = try Node("b", database: database)
        b.start()
        try await eventually("b to see the stalled leader") { b.events.contains(.activeNodeChanged(node: "stalled", address: "stalled.test:7070")) }
        try await eventually("b to take over from the stalled leader", timeout: .seconds(8)) { b.activeEpoch == 2 }
        let after = ContinuousClock.now - took
        print("takeover from a leader that stopped renewing (lease 1.2 s): \(after) after its last renewal")
        #expect(after >= .milliseconds(1200))
        try await eventually("the stalled leader's session to be terminated") { stalled.isClosed }

        let log = try database.makeLog()
        defer { Task { await log.close() } }
        let stale = await onThread { () throws(StorageError) in try log.append(sequence: 1, epoch: 1, payload: [1]) }
        guard case .failure(.fenced) = stale else { Issue.record("the stalled epoch's append gave \(stale)"); return }
        #expect(try await database.sequences() == [])
        await b.stop()
        try? await stalled.close()
    }

    /// A leader whose lock session is killed under it notices, reports the loss, and
    /// whichever node then takes over does so with a new epoch.
    @Test func aLeaderWhoseLockSessionIsKilledReportsTheLoss() async throws {
        let database = try await ClusterDatabase.make()
        let a = try await startLeader(database)
        let pid = try #require(try await leader(database).backendPID)
        try await database.withSession { admin in
            try await admin.query("SELECT pg_terminate_backend(\(pid))", logger: database.logger)
        }
        // Noticed while waiting (the session closed), as the failure of a renewal under way,
        // or (on a loaded machine, after the session was replaced before the next renewal)
        // as a renewal that finds the row held by another session.
        try await eventually("a to report the loss", timeout: .seconds(20)) { a.losses.count == 1 }
        switch a.losses.first {
        case .lockSessionLost?, .renewalFailed?, .supplanted?: break
        default: Issue.record("a lost its lock session, and reported \(a.losses)")
        }
        try await eventually("a new epoch", timeout: .seconds(20)) { a.activeEpoch == 2 }
        await a.stop()
    }

    @Test func aLeaderWhoseEpochWasTakenIsToldItWasSupplanted() async throws {
        let database = try await ClusterDatabase.make()
        let a = try await startLeader(database)
        // Someone (an operator, a broken node) moves the epoch on under a.
        try await database.setEpoch(9)
        try await eventually("a to give up", timeout: .seconds(4)) { a.losses.first == .supplanted }
        await a.stop()
    }

    @Test func stoppingTheActiveNodeReleasesTheLock() async throws {
        let database = try await ClusterDatabase.make()
        let a = try await startLeader(database)
        await a.stop()
        try await eventually("the lock to be free") { try await leader(database).lockHolderPID == nil }
    }
}
