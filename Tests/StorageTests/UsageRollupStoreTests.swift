import CLMDB
import Foundation
import SeatCore
import Testing
@testable import SeatStorage

/// The usage rollup is kept by the writer in the transaction of the change that causes
/// it: a grant is counted exactly when its session is stored, an end when the live
/// session is deleted, a refusal count when it is appended to the audit log.
@Suite struct UsageRollupStoreTests {
    /// 2023-11-14T22:00:00Z, the start of an hour.
    static let hourStart: Int64 = 1_699_999_200_000
    static let hour = UsageHour.hour(of: Timestamp(millisecondsSinceEpoch: hourStart))
    static let minute: Int64 = 60_000

    static func refusal(_ license: String, reason: String = "noSeats", count: UInt64, at time: Int64, tenant: String = "") -> AuditEvent {
        AuditEvent(
            time: .init(millisecondsSinceEpoch: time + 60_000), kind: .refusal, tenant: tenant, licenseKey: license, detail: reason,
            aggregate: AuditAggregate(count: count, firstSeen: .init(millisecondsSinceEpoch: time), lastSeen: .init(millisecondsSinceEpoch: time + 1)))
    }

    @Test func grantsEndsAndRefusalsAreCountedOnceAndSurviveReopening() async throws {
        try await withTemporaryDirectory { directory in
            let base = Self.hourStart
            var store = try openStore(directory)
            try await store.commit([.putLicense(license("LIC-1")), .putLicense(license("LIC-2"))])
            try await store.commit([.putSession(session(1, at: base + 10 * Self.minute))])
            try await store.commit([.putSession(session(2, at: base + 20 * Self.minute))])
            // Upserting a stored session is no grant.
            try await store.commit([.putSession(session(2, at: base + 20 * Self.minute))])
            try await store.commit([
                .appendAudit(Self.refusal("LIC-1", count: 3, at: base + 30 * Self.minute)),
                // Licenses that do not exist get no rollup, whatever a client asks for.
                .appendAudit(Self.refusal("NO-SUCH", count: 5, at: base + 30 * Self.minute)),
                // Another tenant's license, refused to a tenant that cannot see it.
                .appendAudit(Self.refusal("LIC-2", reason: "unknownLicense", count: 2, at: base + 31 * Self.minute, tenant: "other")),
            ])
            try await store.commit([.endSession(ended(1, at: base + 70 * Self.minute))])
            // A session ended twice is counted once.
            try await store.commit([.endSession(ended(1, at: base + 71 * Self.minute))])
            store.close()

            store = try openStore(directory)
            defer { store.close() }
            // Open sessions come with the hours, from the same snapshot.
            #expect(try store.usage(from: Self.hour, through: Self.hour).open == [
                OpenSession(licenseKey: "LIC-1", tenant: License.defaultTenant, user: "user2", startedAt: .init(millisecondsSinceEpoch: base + 20 * Self.minute)),
            ])
            // After the restart the tally goes on from the stored seats in use (1).
            try await store.commit([.endSession(ended(2, at: base + 130 * Self.minute))])
            let hours = try store.usage(from: Self.hour, through: Self.hour + 5).hours.sorted { $0.hour < $1.hour }
            let tenant = License.defaultTenant
            #expect(hours == [
                UsageHour(hour: Self.hour, licenseKey: "LIC-1", tenant: tenant, eventPeak: 2,
                          endedMilliseconds: ["user1": 50 * Self.minute, "user2": 40 * Self.minute], denials: ["noSeats": 3]),
                UsageHour(hour: Self.hour + 1, licenseKey: "LIC-1", tenant: tenant, eventPeak: 2,
                          endedMilliseconds: ["user1": 10 * Self.minute, "user2": 60 * Self.minute]),
                UsageHour(hour: Self.hour + 2, licenseKey: "LIC-1", tenant: tenant, eventPeak: 1,
                          endedMilliseconds: ["user2": 10 * Self.minute]),
            ])

            // Two hour records and four users' times before the third hour.
            #expect(try await store.purgeUsageHours(before: Self.hour + 2, limit: 5) == 5)
            #expect(try await store.purgeUsageHours(before: Self.hour + 2, limit: 10) == 1)
            #expect(try store.usage(from: 0, through: .max).hours.map(\.hour) == [Self.hour + 2])
        }
    }

    @Test func aRefusedJobCountsNothingAndTheRestOfItsBatchCounts() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.putLicense(license("LIC-1"))])
            let gate = await WriterGate.hold(store)
            let calls: [[StoreChange]] = (0..<4).map { number in
                var changes: [StoreChange] = [.putSession(session(number, at: Self.hourStart + Int64(number)))]
                if number == 2 { changes.append(.putLicense(license(overlongKey))) }
                return changes
            }
            let results = await commitInOneBatch(store, calls, gate: gate)
            #expect(results.map { (try? $0.get()) != nil } == [true, true, false, true])
            let hours = try store.usage(from: Self.hour, through: Self.hour).hours
            #expect(hours.map(\.eventPeak) == [3])
            // The tally agrees: after the three ends, a new session is the only seat in use.
            try await store.commit([0, 1, 3].map { .endSession(ended($0, at: Self.hourStart + 10 * Self.minute)) })
            try await store.commit([.putSession(session(9, at: Self.hourStart + 20 * Self.minute))])
            #expect(try store.usage(from: Self.hour, through: Self.hour).hours.map(\.eventPeak) == [3])
            try await store.commit([.endSession(ended(9, at: Self.hourStart + 80 * Self.minute))])
            #expect(try store.usage(from: Self.hour + 1, through: Self.hour + 1).hours.map(\.eventPeak) == [1])
        }
    }

    @Test func aStoreFromBeforeTheRollupCountsItsLiveSessionsOnFirstOpen() async throws {
        try await withTemporaryDirectory { directory in
            var store = try openStore(directory)
            try await store.commit([.putLicense(license("LIC-1")), .putSession(session(1, at: Self.hourStart)), .putSession(session(2, at: Self.hourStart))])
            // What an older seatd left: the sessions, no rollup at all.
            try store.environment.write { txn throws(StorageError) in
                for database in [store.databases.usageHours, store.databases.usageUsers, store.databases.usageTallies] {
                    var keys: [[UInt8]] = []
                    try txn.forEach(database) { key, _ in keys.append(Array(key)) }
                    for key in keys { try key.withBytes { key throws(StorageError) in _ = try txn.delete(database, key) } }
                }
                try RecordCodec.usageTalliesBuiltKey.withBytes { key throws(StorageError) in _ = try txn.delete(store.databases.meta, key) }
            }
            store.close()

            store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.endSession(ended(1, at: Self.hourStart + 150 * Self.minute))])
            let hours = try store.usage(from: Self.hour + 2, through: Self.hour + 2).hours
            #expect(hours.map(\.eventPeak) == [2], "the end saw both sessions in use")
        }
    }

    @Test func usageHourRecordsRoundTrip() throws {
        let hour = UsageHour(hour: -3, licenseKey: "LÍC", tenant: "acme", eventPeak: 7, denials: ["noSeats": 9])
        let key = RecordCodec.usageHourKey(hour: hour.hour, licenseKey: hour.licenseKey)
        let decodedKey = try key.withBytes(RecordCodec.decodeUsageHourKey)
        #expect(decodedKey.hour == -3 && decodedKey.licenseKey == "LÍC")
        #expect(try RecordCodec.encode(hour).withBytes { bytes throws(StorageError) in try RecordCodec.decodeUsageHour(hour: -3, licenseKey: "LÍC", bytes) } == hour)
        // Hours sort as unsigned bytes, negative ones first.
        #expect(RecordCodec.usageHourKey(hour: -1, licenseKey: "Z").lexicographicallyPrecedes(RecordCodec.usageHourKey(hour: 0, licenseKey: "A")))
        #expect(throws: StorageError.self) { try [UInt8(2)].withBytes { bytes throws(StorageError) in try RecordCodec.decodeUsageHour(hour: 0, licenseKey: "", bytes) } }
        let userKey = try RecordCodec.usageUserKey(hour: 5, licenseKey: "LÍC", user: "ána").withBytes(RecordCodec.decodeUsageUserKey)
        #expect(userKey.hour == 5 && userKey.licenseKey == "LÍC" && userKey.user == "ána")
        let count = try RecordCodec.encodeUsageCount(tenant: "acme", 42).withBytes(RecordCodec.decodeUsageCount)
        #expect(count.tenant == "acme" && count.count == 42)
        #expect(throws: StorageError.self) { try [UInt8](repeating: 0, count: 9).withBytes(RecordCodec.decodeUsageUserKey) }
    }
}
