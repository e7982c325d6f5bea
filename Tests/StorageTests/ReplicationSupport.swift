import Foundation
import SeatCore
@testable import SeatStorage

/// The shared log, as the tests' replicator: keeps every batch it accepts, in order, and
/// first applies it to `replica` (a second real store) through `applyReplicated`, as a
/// standby tailing the log would. `failure`, while set, is thrown instead.
final class ReplicaLog: CommitReplicator {
    let replica: SeatStore?
    let batches = Shared<[ReplicationBatch]>([])
    let calls = Shared(0)
    let failure = Shared<StorageError?>(nil)

    init(replica: SeatStore? = nil) {
        self.replica = replica
    }

    func replicate(_ batch: ReplicationBatch) throws(StorageError) {
        calls.withLock { $0 += 1 }
        if let failure = failure.withLock({ $0 }) { throw failure }
        if let replica {
            // Blocks the primary's writer thread (as a real log's round trip does), never
            // the cooperative pool: the task awaits the replica's writer thread.
            let applied = Shared<Result<Void, StorageError>?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                do throws(StorageError) {
                    try await replica.applyReplicated([batch])
                    applied.withLock { $0 = .success(()) }
                } catch {
                    applied.withLock { $0 = .failure(error) }
                }
                done.signal()
            }
            done.wait()
            try applied.withLock { $0! }.get()
        }
        batches.withLock { $0.append(batch) }
    }

    var sequences: [UInt64] { batches.withLock { $0.map(\.sequence) } }
}

/// A primary replicating to a replica (both fresh, under `directory`) through a log,
/// both closed when `body` returns.
func withReplicatedStores(
    _ directory: String, initialMapSizeBytes: Int = 1 << 20,
    _ body: (_ primary: SeatStore, _ replica: SeatStore, _ log: ReplicaLog) async throws -> Void
) async throws {
    let replica = try openStore(directory + "/replica", initialMapSizeBytes: initialMapSizeBytes)
    defer { replica.close() }
    let primary = try openStore(directory + "/primary", initialMapSizeBytes: initialMapSizeBytes)
    defer { primary.close() }
    let log = ReplicaLog(replica: replica)
    try primary.startReplicating(to: log)
    try await body(primary, replica, log)
}

/// Everything a store shows of its state, through its public reads, in a comparable order.
struct StoreContents: Equatable {
    var licenses: [License]
    var sessions: [Session]
    var tenants: [Tenant]
    var accessKeys: [AccessKey]
    var audit: [AuditEvent]
    var usageHours: [UsageHour]
    var openSessions: [OpenSession]
    var tombstones: [EndedSession?]

    init(_ store: SeatStore) throws {
        licenses = try store.loadLicenses().sortedByKey()
        sessions = try store.loadLiveSessions().sortedByToken()
        tenants = try store.loadTenants()
        accessKeys = try store.loadAccessKeys()
        audit = try store.auditEvents(AuditQuery(limit: 10_000)).events
        let usage = try store.usage(from: 0, through: .max)
        usageHours = usage.hours.sorted { ($0.hour, $0.licenseKey) < ($1.hour, $1.licenseKey) }
        openSessions = usage.open.sorted { $0.user < $1.user }
        tombstones = try (1...ReplicationWorkload.sessions).map { try store.endedSession(token($0)) }
    }
}

/// A workload touching every database: tenants, keys, licenses, grants, heartbeats
/// committed lazily, ends, refusal counts and admin events, and every kind of purge.
enum ReplicationWorkload {
    static let sessions = 8
    /// 2023-11-14T22:00:00Z, the start of an hour.
    static let base: Int64 = 1_699_999_200_000
    static let minute: Int64 = 60_000

    static func run(_ store: SeatStore) async throws {
        try await store.commit([
            .putTenant(Tenant(id: "acme", name: "Acme", createdAt: .init(millisecondsSinceEpoch: base))),
            .putAccessKey(AccessKey(id: "k1", tenant: "acme", role: .client, secretDigest: Array(repeating: 0xD1, count: 32), label: "ci",
                                    createdAt: .init(millisecondsSinceEpoch: base))),
            .putLicense(license("LIC-1")), .putLicense(license("LIC-2")), .putLicense(license("GONE")),
        ])
        for number in 1...sessions {
            let granted = session(number, license: number.isMultiple(of: 2) ? "LIC-2" : "LIC-1", at: base + Int64(number) * minute)
            try await store.commit([
                .putSession(granted),
                .appendAudit(AuditEvent(time: granted.createdAt, kind: .grant, licenseKey: granted.licenseKey, user: granted.user)),
            ])
        }
        for number in 1...sessions {
            store.commitLazily([.refreshLease(token: token(number), lastHeartbeatAt: .init(millisecondsSinceEpoch: base + 30 * minute),
                                              leaseExpiresAt: .init(millisecondsSinceEpoch: base + 40 * minute))])
        }
        try await store.flush()
        try await store.commit([.appendAudit(AuditEvent(
            time: .init(millisecondsSinceEpoch: base + 31 * minute), kind: .refusal, licenseKey: "LIC-1", detail: "noSeats",
            aggregate: AuditAggregate(count: 4, firstSeen: .init(millisecondsSinceEpoch: base + 20 * minute),
                                      lastSeen: .init(millisecondsSinceEpoch: base + 30 * minute))))])
        for number in 1...5 {
            try await store.commit([.endSession(ended(number, at: base + Int64(60 + number * 30) * minute,
                                                      license: number.isMultiple(of: 2) ? "LIC-2" : "LIC-1"))])
        }
        try await store.commit([
            .deleteLicense(key: "GONE"),
            .appendAudit(AuditEvent(time: .init(millisecondsSinceEpoch: base + 300 * minute), kind: .admin, detail: "deleted GONE")),
        ])
        // Tombstones of the first two ends, the oldest session events, the first hour.
        _ = try await store.purgeEndedSessions(endedBefore: .init(millisecondsSinceEpoch: base + 121 * minute), limit: 100)
        _ = try await store.purgeAudit(.session, olderThan: .init(millisecondsSinceEpoch: base + 3 * minute), maxBytes: .max, limit: 100)
        _ = try await store.purgeUsageHours(before: UsageHour.hour(of: .init(millisecondsSinceEpoch: base)) + 1, limit: 100)
    }
}
