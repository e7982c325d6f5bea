import SeatCore
import SeatStorage

/// Where the server records audit events.
///
/// `record` queues the event with the next storage batch and returns at once: auditing
/// never adds a disk wait to a request. An event that must be stored together with the
/// change it describes (a grant with its session) goes into that commit instead, as
/// `StoreChange.appendAudit`.
final class AuditLog: Sendable {
    private let store: SeatStore

    init(store: SeatStore) {
        self.store = store
    }

    func record(_ event: AuditEvent) {
        store.commitLazily([.appendAudit(event)])
    }

    /// Records `event` and returns once it is durable (admin actions: the administrator's
    /// reply means the action is on record).
    func recordDurably(_ event: AuditEvent) async throws(StorageError) {
        try await store.commit([.appendAudit(event)])
    }

    /// Events matching `query`; see `SeatStore.auditEvents`.
    func events(_ query: AuditQuery) throws(StorageError) -> AuditPage {
        try store.auditEvents(query)
    }
}
