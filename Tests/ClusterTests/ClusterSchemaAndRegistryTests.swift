import PostgresNIO
@testable import SeatCluster
import Testing

@Suite("ClusterTests: schema and node registry")
struct ClusterSchemaAndRegistryTests {
    @Test func installingTheSchemaConcurrentlyAndAgainChangesNothing() async throws {
        let database = try await ClusterDatabase.make()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { try await ClusterSchema.install(settings: database.settings, logger: database.logger) }
            }
            try await group.waitForAll()
        }
        let (versions, leaders) = try await database.withSession { connection in
            var versions: [Int] = []
            for try await version in try await connection.query("SELECT version FROM seatd_schema", logger: database.logger).decode(Int.self) { versions.append(version) }
            var leaders: [Int64] = []
            for try await epoch in try await connection.query("SELECT epoch FROM seatd_leader", logger: database.logger).decode(Int64.self) { leaders.append(epoch) }
            return (versions, leaders)
        }
        #expect(versions == [ClusterSchema.version])
        #expect(leaders == [0])
    }

    @Test func aNewerSchemaIsRefused() async throws {
        let database = try await ClusterDatabase.make()
        try await database.withSession { try await $0.query("UPDATE seatd_schema SET version = 99", logger: database.logger) }
        await #expect(throws: ClusterError.schemaVersion(found: 99, supported: ClusterSchema.version)) {
            try await ClusterSchema.install(settings: database.settings, logger: database.logger)
        }
    }

    @Test func nodesRegisterAndUpdateTheirHeartbeat() async throws {
        let database = try await ClusterDatabase.make()
        let registry = try ClusterRegistry(settings: database.settings, logger: database.logger)
        defer { Task { await registry.close() } }

        try await registry.registerNode(name: "b", address: "b:7070", role: .standby, appliedSequence: 3)
        try await registry.registerNode(name: "a", address: "a:7070", role: .active, appliedSequence: 4)
        try await registry.registerNode(name: "b", address: "b2:7070", role: .standby, appliedSequence: 4)
        let nodes = try await registry.nodes()
        #expect(nodes.map(\.name) == ["a", "b"])
        #expect(nodes.map(\.address) == ["a:7070", "b2:7070"])
        #expect(nodes.map(\.role) == [.active, .standby])
        #expect(nodes.map(\.appliedSequence) == [4, 4])
        #expect(nodes.allSatisfy { $0.secondsSinceSeen >= 0 && $0.secondsSinceSeen < 60 })
    }

    @Test func theLeaderOfANewClusterIsNobodyAtEpochZero() async throws {
        let database = try await ClusterDatabase.make()
        let registry = try ClusterRegistry(settings: database.settings, logger: database.logger)
        defer { Task { await registry.close() } }
        #expect(try await registry.leader() == LeaderRecord(
            epoch: 0, node: nil, address: nil, leaseUntil: nil, backendPID: nil, leaseExpired: true, lockHolderPID: nil
        ))
    }
}
