import Prometheus
import SeatCore
import Synchronization

/// The per-license gauges, set at each scrape from the licenses served: seats, seats in
/// use (and of them past `seats`, from the overage), waiters in the queue, expiry and state, labelled with license and tenant. A deleted license's series
/// disappear instead of freezing at their last value; a change of tenant, state or expiry
/// replaces them.
final class LicenseSeries: Sendable {
    private struct Labels: Equatable {
        var tenant: String
        var state: LicenseState
        var expires: Bool
    }

    private struct Entry {
        var labels: Labels
        var seatsTotal: Gauge
        var seatsInUse: Gauge
        var seatsOverageInUse: Gauge
        var queueLength: Gauge
        var state: Gauge
        var expiry: Gauge?

        var gauges: [Gauge] { [seatsTotal, seatsInUse, seatsOverageInUse, queueLength, state] + (expiry.map { [$0] } ?? []) }
    }

    private let entries = Mutex<[String: Entry]>([:])

    func update(_ licenses: [LicenseSnapshot], registry: PrometheusCollectorRegistry) {
        entries.withLock { entries in
            var gone = Set(entries.keys)
            for snapshot in licenses {
                let license = snapshot.license
                gone.remove(license.key)
                let labels = Labels(tenant: license.tenant, state: license.state, expires: license.expiresAt != nil)
                if let existing = entries[license.key], existing.labels != labels {
                    Self.unregister(existing, from: registry)
                    entries[license.key] = nil
                }
                let entry = entries[license.key] ?? Self.make(license.key, labels, registry)
                entries[license.key] = entry
                entry.seatsTotal.set(Int64(license.seats))
                entry.seatsInUse.set(Int64(snapshot.seatsInUse))
                entry.seatsOverageInUse.set(Int64(snapshot.seatsOverageInUse))
                entry.queueLength.set(Int64(snapshot.waiting))
                entry.state.set(Int64(1))
                if let expiresAt = license.expiresAt {
                    entry.expiry?.set(Double(expiresAt.millisecondsSinceEpoch) / 1000)
                }
            }
            for key in gone {
                if let entry = entries[key] { Self.unregister(entry, from: registry) }
                entries[key] = nil
            }
        }
    }

    private static func make(_ key: String, _ labels: Labels, _ registry: PrometheusCollectorRegistry) -> Entry {
        let common = [("license", key), ("tenant", labels.tenant)]
        func gauge(_ name: String, _ extra: [(String, String)] = []) -> Gauge {
            registry.makeGauge(descriptor: MetricHelp.descriptor(name), labels: common + extra)
        }
        return Entry(
            labels: labels,
            seatsTotal: gauge("seatd_seats_total"),
            seatsInUse: gauge("seatd_seats_in_use"),
            seatsOverageInUse: gauge("seatd_seats_overage_in_use"),
            queueLength: gauge("seatd_queue_length"),
            state: gauge("seatd_license_state", [("state", labels.state.rawValue)]),
            expiry: labels.expires ? gauge("seatd_license_expiry_timestamp_seconds") : nil
        )
    }

    private static func unregister(_ entry: Entry, from registry: PrometheusCollectorRegistry) {
        for gauge in entry.gauges { registry.unregisterGauge(gauge) }
    }
}
