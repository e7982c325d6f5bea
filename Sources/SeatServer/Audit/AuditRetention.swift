import Logging
import SeatCore
import SeatStorage

/// Keeps the audit log within `audit_retention_days` and `audit_max_mb`, so it can never
/// fill the disk: run by the sweeper, it deletes the oldest events past either limit.
/// Each `AuditClass` has its own share of `audit_max_mb` and is purged on its own, so
/// what any client can cause (refusals, failed authentications) only ever evicts its own
/// class, never administrators' actions.
final class AuditRetention: Sendable {
    struct Settings: Sendable, Equatable {
        /// 0: no age limit, only the size cap applies.
        var retentionDays: Int
        var maximumBytes: Int

        init(retentionDays: Int, maximumBytes: Int) {
            self.retentionDays = retentionDays
            self.maximumBytes = maximumBytes
        }

        /// The audit log never gets more than half of `storage_max_map_mb`, whatever
        /// `audit_max_mb` says: a log allowed to fill the store would refuse every
        /// tenant's acquires with storageFull, also after a restart.
        init(_ configuration: ServerConfiguration) {
            self.init(
                retentionDays: configuration.auditRetentionDays,
                maximumBytes: min(configuration.auditMaxMegabytes, configuration.storageMaxMapMegabytes / 2) << 20)
        }

        /// Percent of `maximumBytes` each class may take. Admin events are few and must
        /// last; sessions are most of a normal log; the counted kinds are bounded per window
        /// by aggregation, so a quarter (volume) and a sixth (security) hold days of floods.
        static let sharePercent: [AuditClass: Int] = [.admin: 10, .security: 15, .session: 50, .volume: 25]

        func maximumBytes(of auditClass: AuditClass) -> Int {
            maximumBytes / 100 * Self.sharePercent[auditClass]!
        }

        /// Events stamped before this are deleted; the distant past when there is no age limit.
        func cutoff(now: Timestamp) -> Timestamp {
            guard retentionDays > 0 else { return Timestamp(millisecondsSinceEpoch: .min) }
            return now.adding(milliseconds: -Int64(retentionDays) * 86_400_000)
        }
    }

    /// Events deleted per write transaction: small enough that requests queued behind it
    /// wait milliseconds, not seconds. Each batch is its own writer job, queued behind the
    /// requests already waiting, so many batches per run hold up no request.
    static let batchLimit = 10_000
    /// Batches per class and run: a million events per class per sweep (~66,000/s at the
    /// default 15 s), more than the writer can commit, so purging keeps up with any rate
    /// events can arrive at; bounded so a run always ends and the next sweep reclaims seats.
    static let maximumBatchesPerClass = 100

    private let store: SeatStore
    private let settings: LiveValue<Settings>
    private let logger: Logger

    init(store: SeatStore, settings: Settings, logger: Logger) {
        self.store = store
        self.settings = LiveValue(settings)
        self.logger = logger
    }

    /// SIGHUP: the next run uses the new limits.
    func update(_ settings: Settings) {
        self.settings.set(settings)
    }

    /// Deletes what is past the limits at `now`; returns how many events it deleted.
    @discardableResult
    func run(now: Timestamp) async -> Int {
        let settings = settings.value
        let cutoff = settings.cutoff(now: now)
        var purged = 0
        do {
            for auditClass in AuditClass.allCases {
                for _ in 0..<Self.maximumBatchesPerClass {
                    let batch = try await store.purgeAudit(auditClass, olderThan: cutoff, maxBytes: settings.maximumBytes(of: auditClass), limit: Self.batchLimit)
                    purged += batch
                    if batch < Self.batchLimit { break }
                }
            }
        } catch {
            logger.warning("purging audit events failed", metadata: ["error": "\(error)", "purged": "\(purged)"])
        }
        if purged > 0 {
            var metadata: Logger.Metadata = [
                "purged": "\(purged)", "retention_days": "\(settings.retentionDays)", "max_bytes": "\(settings.maximumBytes)",
            ]
            if let usage = try? store.auditUsage() {
                metadata["events_left"] = "\(usage.events)"
                metadata["bytes"] = "\(usage.bytes)"
            }
            logger.info("audit events purged", metadata: metadata)
        }
        return purged
    }
}
