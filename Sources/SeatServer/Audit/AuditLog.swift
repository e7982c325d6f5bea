import SeatCore
import SeatStorage
import Synchronization

/// Where the server records audit events.
///
/// `record` queues the event with the next storage batch and returns at once: auditing
/// never adds a disk wait to a request. An event that must be stored together with the
/// change it describes (a grant with its session) goes into that commit instead, as
/// `StoreChange.appendAudit`. The kinds any client can cause at will are `count`ed
/// instead: one event per key and window (`AuditAggregator`), written when the window
/// ends (noticed by the next occurrence or the sweeper) and at shutdown.
final class AuditLog: Sendable {
    /// Distinct keys per kind and window before the overflow buckets: about 1,000 events
    /// of each counted kind per window at most, whatever the request rate.
    static let maximumKeysPerWindow = 1_000

    private let store: SeatStore
    private let aggregator: Mutex<AuditAggregator>

    init(store: SeatStore, aggregationWindowSeconds: Double) {
        self.store = store
        aggregator = Mutex(AuditAggregator(
            windowMilliseconds: max(1, Int64(aggregationWindowSeconds * 1000)), maximumKeys: Self.maximumKeysPerWindow))
    }

    func record(_ event: AuditEvent) {
        store.commitLazily([.appendAudit(event)])
    }

    /// Records `event` and returns once it is durable (admin actions: the administrator's
    /// reply means the action is on record).
    func recordDurably(_ event: AuditEvent) async throws(StorageError) {
        try await store.commit([.appendAudit(event)])
    }

    /// Counts one occurrence of `key` at `now` in the current window.
    func count(_ key: AuditAggregator.Key, at now: Timestamp) {
        write(aggregator.withLock { $0.count(key, at: now) })
    }

    /// Writes the current window if it has ended by `now` (the sweeper's call).
    func flushEndedWindow(at now: Timestamp) {
        write(aggregator.withLock { $0.flushIfEnded(at: now) })
    }

    /// Writes the current window, ended or not (shutdown), so no count is lost.
    func flush(at now: Timestamp) {
        write(aggregator.withLock { $0.flush(at: now) })
    }

    /// Events matching `query`; see `SeatStore.auditEvents`.
    func events(_ query: AuditQuery) throws(StorageError) -> AuditPage {
        try store.auditEvents(query)
    }

    private func write(_ events: [AuditEvent]) {
        guard !events.isEmpty else { return }
        store.commitLazily(events.map { .appendAudit($0) })
    }
}
