import Logging
import ServiceLifecycle
import Synchronization

/// The standby's own work, as a service of the standby group: keeps the copy up to the
/// shared log and the node recorded in PostgreSQL until this node is elected. Then it
/// applies the rest of the log (the old leader is fenced, so that rest is final), records
/// the epoch and returns, which ends the standby group.
final class StandbyFollower: Service {
    private let membership: ClusterMembership
    private let follower: LogFollower
    private let clock: any ServerClock
    private let logger: Logger
    private let elected = Mutex<UInt64?>(nil)

    /// How often the copy reads the log's new batches.
    static let pollInterval = Duration.milliseconds(200)
    /// How often the node's row in `seatd_nodes` is refreshed.
    static let reportInterval = Duration.seconds(2)

    init(membership: ClusterMembership, follower: LogFollower, clock: any ServerClock, logger: Logger) {
        self.membership = membership
        self.follower = follower
        self.clock = clock
        self.logger = logger
    }

    /// The epoch this node leads once the group has ended for a takeover; nil after a shutdown.
    var electedEpoch: UInt64? { elected.withLock { $0 } }

    func run() async throws {
        let epoch: UInt64? = await cancelWhenGracefulShutdown { [self] in
            await withTaskGroup(of: UInt64?.self) { group in
                group.addTask { await self.membership.waitUntilElected() }
                group.addTask {
                    await self.follow()
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        } ?? nil
        guard let epoch, !Task.isCancelled else { return }
        // Everything the old leader committed is in the log now; serve nothing before it is here.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let sequence = try await follower.catchUp()
                membership.state.update { $0.appliedSequence = sequence }
                elected.withLock { $0 = epoch }
                logger.notice("cluster: elected; this node's copy holds the whole log", metadata: ["epoch": "\(epoch)", "sequence": "\(sequence)"])
                return
            } catch {
                logger.error("cluster: elected, but the log could not be read to its end; retrying", metadata: ["error": "\(error)"])
                try? await clock.sleep(for: Self.pollInterval)
            }
        }
    }

    private func follow() async {
        var nextReport = ContinuousClock.now
        var failing = false
        while !Task.isCancelled {
            do {
                let sequence = try await follower.catchUp()
                membership.state.update { $0.appliedSequence = sequence }
                if failing { logger.notice("cluster: following the shared log again", metadata: ["sequence": "\(sequence)"]) }
                failing = false
            } catch {
                if !failing { logger.error("cluster: cannot follow the shared log", metadata: ["error": "\(error)"]) }
                failing = true
            }
            if ContinuousClock.now >= nextReport {
                await membership.report()
                nextReport = ContinuousClock.now + Self.reportInterval
            }
            do { try await clock.sleep(for: Self.pollInterval) } catch { return }
        }
    }
}
