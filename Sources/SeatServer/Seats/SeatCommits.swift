import SeatCore
import SeatStorage

/// The writes a license actor makes: `SeatStore`'s, named so that tests can put a store
/// that fails chosen commits in front of a real one.
protocol SeatCommits: Sendable {
    /// `completion` runs once the commit is durable (or has failed), on any thread.
    func commit(_ changes: [StoreChange], completion: @escaping @Sendable (Result<Void, StorageError>) -> Void)
    /// Queued with the next batch, not waited for (heartbeats).
    func commitLazily(_ changes: [StoreChange])
}

extension SeatStore: SeatCommits {}
