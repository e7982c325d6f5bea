import SeatClient
import SeatCore
import SeatProtocol

/// What the server acknowledged: sessions held, and releases sent but never answered.
actor AcknowledgedSessions {
    private(set) var held = Set<SessionToken>()
    private(set) var releaseUnacknowledged = Set<SessionToken>()

    func add(_ token: SessionToken) { held.insert(token) }

    func releasing(_ token: SessionToken) {
        held.remove(token)
        releaseUnacknowledged.insert(token)
    }

    func released(_ token: SessionToken) { releaseUnacknowledged.remove(token) }

    /// Every connection acquires seats of `license` as new users, `attempts` times, and
    /// releases every `releasingEvery`-th grant, recording what the server acknowledged. A
    /// refusal (no seats) goes on to the next attempt; a connection that fails stops.
    nonisolated func storm(_ connections: [SeatConnection], license: String, attempts: Int, releasingEvery: Int) -> Task<Void, Never> {
        Task {
            await withTaskGroup(of: Void.self) { group in
                for (index, connection) in connections.enumerated() {
                    group.addTask {
                        for attempt in 0..<attempts {
                            let user = "u\(index)-\(attempt)"
                            let grant: AcquireGrant
                            do {
                                grant = try await connection.acquire(licenseKey: license, user: user, hostname: "h", hardwareID: user, clientVersion: "1")
                            } catch is ErrorReply {
                                continue
                            } catch {
                                return
                            }
                            await self.add(grant.token)
                            if attempt % releasingEvery == 0 {
                                await self.releasing(grant.token)
                                if (try? await connection.release(grant.token)) != nil { await self.released(grant.token) }
                            }
                        }
                    }
                }
            }
        }
    }
}
