import Foundation
import Logging
import SeatStorage
import ServiceLifecycle

/// A node of an active/standby group (`storage = postgresql`) until it is elected: on the
/// same ports as an active node, clients are told which node is active (`notActive`), the
/// admin socket answers `status`, `/readyz` says 503, systemd hears READY=1 and the
/// watchdog, and the copy of the state follows the shared log.
struct StandbyPhase {
    let membership: ClusterMembership
    let store: SeatStore
    let endpoints: ListenerParts

    /// Connections to a standby do nothing worth waiting for: at a takeover they are
    /// closed after this, and their clients come back to the new active node.
    static let handoverTimeout = Duration.seconds(1)

    /// Serves as a standby until elected (returns the epoch, with the copy holding the
    /// whole log) or until SIGTERM or SIGINT (returns nil).
    func run() async throws -> UInt64? {
        let cluster = membership.state
        let logger = endpoints.logger
        let readiness = Readiness()
        readiness.markStorageOpen()
        readiness.markStandby {
            let active = cluster.current.activeAddress
            return active.isEmpty ? "standby; no node is active right now" : "standby; the active node is \(active)"
        }
        let follower = StandbyFollower(
            membership: membership, follower: LogFollower(store: store, log: membership.log, logger: logger), clock: endpoints.clock, logger: logger)
        let clients = ConnectionHandler.Services(
            responder: StandbyResponder { cluster.current.activeAddress }, directory: ConnectionDirectory(), logger: logger)
        let admins = ConnectionHandler.Services(responder: StandbyAdminResponder(cluster: cluster), directory: ConnectionDirectory(), logger: logger)
        let reporter = endpoints.reporter(readiness: readiness, announcesStopping: { follower.electedEpoch == nil }) {
            let status = cluster.current
            return "standby at log batch \(status.appliedSequence); active node: \(status.activeNode.isEmpty ? "none" : status.activeAddress)"
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let health = endpoints.healthServer(readiness: readiness, metrics: { [endpoints, store] in
            endpoints.metrics.render(SeatMetrics.Snapshot(
                licenses: [], liveSessions: 0, openConnections: endpoints.limiter.openConnections, storage: store.statistics, cluster: cluster.current))
        }) {
            services.append(.init(service: health))
        }
        services += [
            .init(service: endpoints.adminSocket(services: admins, readiness: readiness)),
            .init(service: endpoints.clientListener(services: clients, readiness: readiness)),
            // Returning (elected) ends the group; the reporter goes first, without STOPPING=1.
            .init(service: follower, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: reporter),
        ]
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = Self.handoverTimeout
        logger.notice("cluster: serving as a standby", metadata: ["node": "\(cluster.current.node)"])
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch is CancellationError {
            // Connections still open at the handover timeout were cut: expected.
        }
        return follower.electedEpoch
    }

    /// Makes the elected node's store commit through the shared log as `epoch`. The first
    /// node ever elected stores its copy as the first snapshot, so nodes that join later
    /// start from what it held (e.g. a single-node store moved to PostgreSQL).
    static func takeOver(_ membership: ClusterMembership, epoch: UInt64, store: SeatStore, logger: Logger) async throws {
        if try await membership.log.lastSequence() == 0, try await membership.log.latestSnapshot() == nil {
            let seed = try await ActiveNodeDuties.snapshot(of: store)
            try await membership.log.writeSnapshot(sequence: seed.sequence, payload: seed.payload)
            logger.notice("cluster: the shared store was empty; seeded it with this node's copy", metadata: ["bytes": "\(seed.payload.count)"])
        }
        try store.startReplicating(to: membership.replicator(epoch: epoch))
        membership.state.update { status in
            status.role = .active
            status.takeovers += 1
            status.appliedSequence = store.appliedSequence
        }
        logger.notice("cluster: this node is active", metadata: ["epoch": "\(epoch)", "sequence": "\(store.appliedSequence)"])
    }
}
