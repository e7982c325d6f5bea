import Foundation
import Logging
import SeatCore
@testable import SeatServer
import SeatStorage
import Testing

@Suite struct AuditLogTests {
    @Test func configurationKeysHaveDefaultsRangesAndApplyOnReload() throws {
        let defaults = try ConfigurationLoader.load(file: nil, overrides: [])
        #expect(AuditRetention.Settings(defaults) == AuditRetention.Settings(retentionDays: 90, maximumBytes: 256 << 20))
        let configured = try ConfigurationLoader.load(file: nil, overrides: ["audit_retention_days=0", "audit_max_mb=1"])
        #expect(AuditRetention.Settings(configured) == AuditRetention.Settings(retentionDays: 0, maximumBytes: 1 << 20))
        for override in ["audit_retention_days=3651", "audit_retention_days=-1", "audit_max_mb=0", "audit_max_mb=ten"] {
            #expect(throws: ConfigurationError.self, "\(override)") { try ConfigurationLoader.load(file: nil, overrides: [override]) }
        }
        #expect(!ConfigurationLoader.restartOnlyKeys.contains("audit_retention_days"))
        #expect(!ConfigurationLoader.restartOnlyKeys.contains("audit_max_mb"))
        let now = Timestamp(millisecondsSinceEpoch: 10 * 86_400_000)
        #expect(AuditRetention.Settings(retentionDays: 3, maximumBytes: 1).cutoff(now: now) == Timestamp(millisecondsSinceEpoch: 7 * 86_400_000))
        #expect(AuditRetention.Settings(retentionDays: 0, maximumBytes: 1).cutoff(now: now) == Timestamp(millisecondsSinceEpoch: .min))
    }

    @Test func recordQueuesEventsAndRetentionDeletesThosePastTheAge() async throws {
        try await withStore { store in
            let log = AuditLog(store: store, aggregationWindowSeconds: 60)
            let now = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
            let day: Int64 = 86_400_000
            let session = sampleSession(createdAt: now.adding(milliseconds: -100 * day))
            log.record(.grant(session, tenant: "acme", overage: false))
            log.record(.release(session, tenant: "acme", at: now.adding(milliseconds: -89 * day)))
            log.record(.admin("license.suspend ACME-1", tenant: "acme", licenseKey: "ACME-1", user: "root", address: "127.0.0.1:4000", at: now))
            try await store.flush()
            #expect(try log.events(AuditQuery()).events.map(\.kind) == [.grant, .release, .admin])

            let retention = AuditRetention(store: store, settings: .init(retentionDays: 90, maximumBytes: 1 << 20), logger: quietLogger)
            #expect(await retention.run(now: now) == 1)
            #expect(await retention.run(now: now) == 0)
            retention.update(.init(retentionDays: 0, maximumBytes: 1 << 20))
            #expect(await retention.run(now: now.adding(milliseconds: 1_000 * day)) == 0)
            retention.update(.init(retentionDays: 1, maximumBytes: 1 << 20))
            #expect(await retention.run(now: now) == 1)
            #expect(try log.events(AuditQuery()).events.map(\.kind) == [.admin])
        }
    }

    /// A backlog larger than one batch is worked off in several transactions per run.
    @Test func retentionBySizeWorksOffABacklogInBatches() async throws {
        try await withStore { store in
            let count = AuditRetention.batchLimit + 5_000
            for start in stride(from: 0, to: count, by: 5_000) {
                try await store.commit((start..<start + 5_000).map {
                    .appendAudit(AuditEvent(time: .init(millisecondsSinceEpoch: Int64($0)), kind: .expiry, user: "u\($0)"))
                })
            }
            let retention = AuditRetention(store: store, settings: .init(retentionDays: 0, maximumBytes: 32 << 10), logger: quietLogger)
            let purged = await retention.run(now: .init(millisecondsSinceEpoch: Int64(count)))
            #expect(purged > AuditRetention.batchLimit)
            let usage = try store.auditUsage()
            #expect(usage.bytes <= 32 << 10)
            #expect(usage.events == count - purged)
            #expect(try store.auditEvents(AuditQuery(limit: count)).events.last?.user == "u\(count - 1)")
        }
    }

    /// Sessions appear by their admin-facing id (what `seatctl sessions` lists), never by
    /// any part of the token.
    @Test func factoriesFillTheFieldsAndNeverTheToken() {
        let session = sampleSession(createdAt: .init(millisecondsSinceEpoch: 5))
        let id = SessionID(session.token).hex
        let grant = AuditEvent.grant(session, tenant: "acme", overage: false)
        #expect(grant == AuditEvent(time: .init(millisecondsSinceEpoch: 5), kind: .grant, tenant: "acme", licenseKey: "ACME-1",
                                    user: "alice", hostname: "ws-1", address: "10.0.0.7:50123", detail: "session=\(id)"))
        #expect(!grant.detail.contains(String(session.token.hex.prefix(8))))
        #expect(AuditEvent.forceRelease(session, tenant: "acme", by: "root", at: .init(millisecondsSinceEpoch: 6)).detail == "session=\(id) by=root")

        let request = SeatRequest(licenseKey: "ACME-1", user: "bob", hostname: "ws-2", hardwareID: "hw", clientVersion: "1", clientAddress: "10.0.0.8:1")
        let at = Timestamp(millisecondsSinceEpoch: 7)
        let reasons: [(SeatFailure, String)] = [
            (.noSeats(seatsTotal: 5, seatsInUse: 5, nextFreeAt: at), "noSeats"),
            (.license(.suspended), "licenseSuspended"),
            (.license(.expired(at: at)), "licenseExpired"),
            (.license(.revoked), "licenseRevoked"),
            (.unknownLicense, "unknownLicense"),
            (.storage(.full("disk")), "storageFull"),
            (.policy(.excluded(.user("bob")), seatsTotal: 5, seatsInUse: 1), "policyDenied:excluded"),
            (.policy(.notIncluded, seatsTotal: 5, seatsInUse: 1), "policyDenied:notIncluded"),
            (.policy(.overMax(limit: 2, principal: .group("eng", members: ["a"])), seatsTotal: 5, seatsInUse: 2), "policyDenied:overMax"),
            (.policy(.reservedForOthers(reservedFreeSeats: 3), seatsTotal: 5, seatsInUse: 2), "policyDenied:reservedForOthers"),
        ]
        // Refusals are counted per tenant, license and reason: user, host and address are
        // the client's to vary at will.
        for (failure, reason) in reasons {
            #expect(AuditAggregator.Key.refusal(request, tenant: "acme", failure: failure)
                == AuditAggregator.Key(kind: .refusal, tenant: "acme", licenseKey: "ACME-1", detail: reason))
        }
        #expect(AuditAggregator.Key.authenticationFailure(address: "10.9.9.9", reason: "malformed key")
            == AuditAggregator.Key(kind: .authFailure, address: "10.9.9.9", detail: "malformed key"))
    }

    private func sampleSession(createdAt: Timestamp) -> Session {
        Session(token: SessionToken(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210), licenseKey: "ACME-1", user: "alice",
                hostname: "ws-1", hardwareID: "hw-1", clientVersion: "2.0", clientAddress: "10.0.0.7:50123",
                createdAt: createdAt, lastHeartbeatAt: createdAt, leaseExpiresAt: createdAt.adding(milliseconds: 360_000))
    }

    private func withStore(_ body: (SeatStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SeatStore(options: StorageOptions(directory: directory, initialMapSizeBytes: 1 << 20, durability: .noSync), logger: quietLogger)
        defer { store.close() }
        try await body(store)
    }
}

private let quietLogger = Logger(label: "audit-tests") { _ in SwiftLogNoOpLogHandler() }
