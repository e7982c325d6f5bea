import Prometheus
import Synchronization

/// The series of a node in an active/standby group (`storage = postgresql`), registered at
/// its first scrape, so a single-node server exports none of them.
final class ClusterSeries: Sendable {
    private let active: Gauge
    private let epoch: Gauge
    private let appliedSequence: Gauge
    private let takeovers: Counter
    private let takeoversCounted = Mutex(0)

    init(registry: PrometheusCollectorRegistry) {
        active = registry.makeGauge(descriptor: MetricHelp.descriptor("seatd_cluster_active"))
        epoch = registry.makeGauge(descriptor: MetricHelp.descriptor("seatd_cluster_epoch"))
        appliedSequence = registry.makeGauge(descriptor: MetricHelp.descriptor("seatd_cluster_applied_sequence"))
        takeovers = registry.makeCounter(descriptor: MetricHelp.descriptor("seatd_cluster_takeovers_total"))
    }

    func update(_ status: ClusterStatus) {
        active.set(Int64(status.role == .active ? 1 : 0))
        epoch.set(Int64(clamping: status.epoch))
        appliedSequence.set(Int64(clamping: status.appliedSequence))
        let newTakeovers = takeoversCounted.withLock { counted in
            defer { counted = max(counted, status.takeovers) }
            return status.takeovers - counted
        }
        if newTakeovers > 0 { takeovers.increment(by: Int64(newTakeovers)) }
    }
}
