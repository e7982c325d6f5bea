import SeatClient
import SeatProtocol
import Testing

/// Many clients race for few seats over real connections: exactly `seats` grants, every time.
@Suite struct OversubscriptionTests {
    @Test(arguments: [1, 2, 16])
    func concurrentAcquiresGrantExactlyTheSeatCount(seats: Int) async throws {
        let rounds = 8
        let clientsPerRound = 24
        let licenses = (0..<rounds).map { TestLicense(key: "RACE-\(seats)-\($0)", seats: seats) }
        try await withDaemon(licenses: licenses) { daemon in
            var connections: [SeatConnection] = []
            for _ in 0..<clientsPerRound { connections.append(try await daemon.connect()) }
            for round in 0..<rounds {
                let key = "RACE-\(seats)-\(round)"
                let outcomes = await withTaskGroup(of: ErrorCode?.self) { group in
                    for (index, connection) in connections.enumerated() {
                        group.addTask {
                            do {
                                _ = try await connection.acquire(licenseKey: key, user: "user\(index)", hostname: "h\(index)", hardwareID: "hw\(index)", clientVersion: "1")
                                return nil
                            } catch let reply as ErrorReply {
                                return reply.code
                            } catch {
                                return .internalError
                            }
                        }
                    }
                    var collected: [ErrorCode?] = []
                    for await outcome in group { collected.append(outcome) }
                    return collected
                }
                #expect(outcomes.filter { $0 == nil }.count == seats, "round \(round)")
                #expect(outcomes.filter { $0 == .noSeats }.count == clientsPerRound - seats, "round \(round)")
                #expect(try await connections[0].validate(licenseKey: key).seatsInUse == UInt32(seats))
            }
            for connection in connections { await connection.close() }
        }
    }

    @Test func concurrentReacquiresOfOneHolderNeverTakeASecondSeat() async throws {
        try await withDaemon(licenses: [TestLicense(key: "IDEM", seats: 3)]) { daemon in
            var connections: [SeatConnection] = []
            for _ in 0..<12 { connections.append(try await daemon.connect()) }
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for connection in connections {
                    group.addTask {
                        try await connection.acquire(licenseKey: "IDEM", user: "carol", hostname: "ws", hardwareID: "hw-c", clientVersion: "1").token.hex
                    }
                }
                var collected = Set<String>()
                for try await token in group { collected.insert(token) }
                return collected
            }
            #expect(tokens.count == 1)
            #expect(try await connections[0].validate(licenseKey: "IDEM").seatsInUse == 1)
            for connection in connections { await connection.close() }
        }
    }
}
