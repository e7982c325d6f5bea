import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// A store that cannot grow refuses grants with `storageFull`, keeps serving and storing
/// releases, and has lost nothing it acknowledged.
@Suite struct StorageLimitTests {
    @Test func fullStoreRefusesWritesAndKeepsEverythingAcknowledged() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let tiny = ["storage_initial_map_mb": "1", "storage_max_map_mb": "1"]
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: "BIG", seats: 100_000)], stateDirectory: stateDirectory, settings: tiny)
        var connections: [SeatConnection] = []
        for _ in 0..<8 { connections.append(try await first.connect()) }
        let clients = connections
        let results = await withTaskGroup(of: ([SessionToken], ErrorCode?).self) { group in
            for (index, connection) in clients.enumerated() {
                group.addTask {
                    var tokens: [SessionToken] = []
                    for attempt in 0..<4_000 {
                        let user = "user-\(index)-\(attempt)-with-a-longer-name-to-fill-pages"
                        do {
                            tokens.append(try await connection.acquire(licenseKey: "BIG", user: user, hostname: "host-\(attempt)", hardwareID: user, clientVersion: "1.0").token)
                        } catch let reply as ErrorReply {
                            return (tokens, reply.code)
                        } catch {
                            return (tokens, .internalError)
                        }
                    }
                    return (tokens, nil)
                }
            }
            var collected: [([SessionToken], ErrorCode?)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        let acknowledged = results.flatMap(\.0)
        #expect(results.allSatisfy { $0.1 == .storageFull }, "every client ends on storageFull: \(results.map(\.1))")
        #expect(acknowledged.count > 100)

        // Still serving: reads and (lazily persisted) heartbeats work.
        #expect(try await clients[0].validate(licenseKey: "BIG").seatsInUse == UInt32(acknowledged.count))
        _ = try await clients[0].heartbeat(acknowledged[0])

        // Ends still commit on the full store: the high-water mark kept room for them.
        let releasedTokens = Array(acknowledged.suffix(200))
        var released = 0
        for token in releasedTokens where (try? await clients[0].release(token))?.ended == true { released += 1 }
        #expect(released == 200, "releases stored on a full store")
        let remaining = Array(acknowledged.dropLast(200))
        #expect(try await clients[0].validate(licenseKey: "BIG").seatsInUse == UInt32(remaining.count))
        await first.kill()

        // With room to grow, every acknowledged session is there and new writes succeed.
        let second = try await DaemonProcess.start(stateDirectory: stateDirectory, settings: ["storage_max_map_mb": "64"])
        try await second.use { second in
            let client = try await second.connect()
            #expect(try await client.validate(licenseKey: "BIG").seatsInUse == UInt32(remaining.count))
            for token in remaining.prefix(500) { _ = try await client.heartbeat(token) }
            for token in releasedTokens.prefix(10) { #expect(try await client.release(token).ended == false) }
            _ = try await client.acquire(licenseKey: "BIG", user: "after", hostname: "h", hardwareID: "after", clientVersion: "1")
            await client.close()
        }
    }
}
