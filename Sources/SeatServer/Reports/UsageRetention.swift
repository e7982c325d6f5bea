import Logging
import SeatCore
import SeatStorage

/// Keeps the usage rollup to `report_retention_months`: run by the sweeper, it deletes
/// the hours of the calendar months before that, oldest first, in bounded batches.
final class UsageRetention: Sendable {
    /// Hours deleted per write transaction (one hour of 1,000 licenses is 1,000 records),
    /// each batch its own writer job behind the requests already queued.
    static let batchLimit = 10_000
    /// Batches per run: bounded so a run always ends and the next sweep reclaims seats.
    static let maximumBatches = 100

    /// The average Gregorian month.
    private static let monthMilliseconds: Int64 = 2_629_746_000

    private let store: SeatStore
    private let months: LiveValue<Int>
    private let logger: Logger

    init(store: SeatStore, months: Int, logger: Logger) {
        self.store = store
        self.months = LiveValue(months)
        self.logger = logger
    }

    /// SIGHUP: the next run keeps this many months.
    func update(months: Int) {
        self.months.set(months)
    }

    /// Hours before this are deleted: the start of the calendar month holding the time
    /// `months` average months before `now`, so at least that much is kept, and the
    /// oldest month kept is whole.
    static func cutoffHour(months: Int, now: Timestamp) -> Int64 {
        UsageHour.hour(of: UsagePeriod.month.start(of: now.adding(milliseconds: -Int64(months) * monthMilliseconds)))
    }

    /// Deletes the hours past retention at `now`; returns how many it deleted.
    @discardableResult
    func run(now: Timestamp) async -> Int {
        let cutoff = Self.cutoffHour(months: months.value, now: now)
        var purged = 0
        do {
            for _ in 0..<Self.maximumBatches {
                let batch = try await store.purgeUsageHours(before: cutoff, limit: Self.batchLimit)
                purged += batch
                if batch < Self.batchLimit { break }
            }
        } catch {
            logger.warning("purging usage rollups failed", metadata: ["error": "\(error)", "purged": "\(purged)"])
        }
        if purged > 0 {
            logger.info("usage rollups purged", metadata: ["purged": "\(purged)", "before": "\(UsageHour.start(of: cutoff).iso8601)"])
        }
        return purged
    }
}
