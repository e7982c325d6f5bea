import Foundation
import SeatCore
import SeatProtocol
@testable import SeatServer
import SeatStorage
import Testing

/// Refusals and failed authentications are counted per key and window, on the manual
/// clock: a flood writes one event per key per window, never one per request.
@Suite struct AuditAggregationTests {
    @Test func aFloodOfRefusalsWritesAtMostOneEventPerKeyPerWindow() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let audit = AuditLog(store: seats.store, aggregationWindowSeconds: 60)
        let (dispatcher, _) = try seats.dispatcher(audit: audit)
        let (link, _) = testLink()
        let licenses = ["NOPE-A", "NOPE-B", "NOPE-C"]
        let perWindow = 2_000
        for _ in 0..<2 {
            for number in 0..<perWindow {
                let request = AcquireRequest(licenseKey: licenses[number % 3], user: "u\(number)", hostname: "h\(number)", hardwareID: "hw\(number)", clientVersion: "1")
                #expect(await dispatcher.respond(to: .acquire(request), on: link).reply.errorCode == .unknownLicense)
                if number % 100 == 0 { seats.advance(milliseconds: 1) }
            }
            // The next window: the sweeper writes the ended one.
            seats.advance(milliseconds: 60_000)
            audit.flushEndedWindow(at: seats.clock.now())
        }
        try await seats.store.flush()
        let refusals = try seats.store.auditEvents(AuditQuery(kinds: [.refusal])).events
        #expect(refusals.count == 6, "one per license and window, not one per request")
        #expect(refusals.reduce(0) { $0 + ($1.aggregate?.count ?? 0) } == UInt64(2 * perWindow))
        for event in refusals {
            let aggregate = try #require(event.aggregate)
            #expect(event.detail == "unknownLicense" && licenses.contains(event.licenseKey))
            #expect(aggregate.firstSeen <= aggregate.lastSeen && aggregate.lastSeen <= event.time)
        }
    }

    @Test func distinctKeysBeyondTheLimitGoToAnOverflowBucket() throws {
        var aggregator = AuditAggregator(windowMilliseconds: 60_000, maximumKeys: 100)
        let start = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)
        for number in 0..<5_000 {
            let key = AuditAggregator.Key(kind: .refusal, tenant: "acme", licenseKey: "X-\(number)", detail: "unknownLicense")
            #expect(aggregator.count(key, at: start.adding(milliseconds: Int64(number) % 59_000)).isEmpty)
        }
        #expect(aggregator.pendingKeys == 101)
        // The other kind's keys keep their own limit: a refusal flood hides no address.
        _ = aggregator.count(.authenticationFailure(address: "10.0.0.1", reason: "unknown key"), at: start)
        let events = aggregator.flush(at: start.adding(milliseconds: 60_000))
        #expect(events.count == 102)
        #expect(events.last?.address == "10.0.0.1")
        let overflow = try #require(events.dropLast().last)
        #expect(overflow.licenseKey == "*" && overflow.tenant == "*" && overflow.aggregate?.count == 4_900)
        #expect(events.dropLast().reduce(0) { $0 + ($1.aggregate?.count ?? 0) } == 5_000)
        #expect(aggregator.pendingKeys == 0)
    }

    @Test func aWindowIsWrittenByTheFirstOccurrencePastItsEndOrAtShutdown() {
        var aggregator = AuditAggregator(windowMilliseconds: 60_000, maximumKeys: 10)
        let key = AuditAggregator.Key.authenticationFailure(address: "10.0.0.1", reason: "unknown key")
        let start = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)  // a multiple of 60 s
        #expect(aggregator.count(key, at: start.adding(milliseconds: 10)).isEmpty)
        #expect(aggregator.flushIfEnded(at: start.adding(milliseconds: 59_999)).isEmpty)
        let ended = aggregator.count(key, at: start.adding(milliseconds: 60_000))
        #expect(ended.map(\.aggregate?.count) == [1])
        #expect(ended.first?.time == start.adding(milliseconds: 60_000), "stamped when written, so keys stay in commit order")
        // Shutdown writes the window in progress.
        #expect(aggregator.flush(at: start.adding(milliseconds: 61_000)).map(\.aggregate?.count) == [1])
    }
}

/// Retention by class: however much volume arrives, only volume is evicted.
@Suite struct AuditClassRetentionTests {
    @Test func adminAndSecurityEventsSurviveAVolumeFloodAtASmallBudget() async throws {
        let seats = try await SeatServiceFixture(licenses: [])
        defer { seats.remove() }
        let store = seats.store
        let now = seats.clock.now()
        let admins = (0..<20).map { AuditEvent.admin("license.suspend L-\($0)", tenant: "acme", licenseKey: "L-\($0)", user: "admin-socket", address: "local", at: now) }
        let security = AuditEvent(time: now, kind: .authFailure, address: "10.0.0.1", detail: "unknown key",
                                  aggregate: AuditAggregate(count: 50, firstSeen: now, lastSeen: now))
        try await store.commit(admins.map { .appendAudit($0) } + [.appendAudit(security)])

        // Refusal aggregates at the largest field lengths (~840 bytes each), 8 MB of them.
        let long = String(repeating: "x", count: 250)
        for batch in 0..<10 {
            try await store.commit((0..<1_000).map { number in
                .appendAudit(AuditEvent(time: now.adding(milliseconds: Int64(batch)), kind: .refusal, tenant: long, licenseKey: long + "\(number)",
                                        address: long, detail: "unknownLicense", aggregate: AuditAggregate(count: 7_400, firstSeen: now, lastSeen: now)))
            })
        }
        let settings = AuditRetention.Settings(retentionDays: 90, maximumBytes: 1 << 20)
        let retention = AuditRetention(store: store, settings: settings, logger: silentLogger)
        #expect(await retention.run(now: now) > 0)

        #expect(try store.auditUsage(.volume).bytes <= settings.maximumBytes(of: .volume))
        #expect(try store.auditUsage(.volume).events > 0, "the newest volume events are kept")
        #expect(try store.auditUsage().bytes <= settings.maximumBytes)
        let kept = try store.auditEvents(AuditQuery(kinds: [.admin, .authFailure])).events
        #expect(kept.filter { $0.kind == .admin }.map(\.detail) == admins.map(\.detail))
        #expect(kept.filter { $0.kind == .authFailure } .map(\.aggregate?.count) == [50])
    }

    @Test func theAuditLogNeverGetsMoreThanHalfTheStore() throws {
        let configuration = try ConfigurationLoader.load(file: nil, overrides: ["audit_max_mb=256", "storage_max_map_mb=64"])
        #expect(AuditRetention.Settings(configuration).maximumBytes == 32 << 20)
        let roomy = try ConfigurationLoader.load(file: nil, overrides: ["audit_max_mb=256", "storage_max_map_mb=1024"])
        #expect(AuditRetention.Settings(roomy).maximumBytes == 256 << 20)
    }

    /// The classes live apart but read as one log: a query pages through them in
    /// (time, sequence) order and its cursor continues exactly.
    @Test func queriesMergeTheClassesInLogOrder() async throws {
        let seats = try await SeatServiceFixture(licenses: [])
        defer { seats.remove() }
        let kinds: [AuditKind] = [.grant, .admin, .refusal, .authFailure, .release, .forceRelease, .expiry]
        let events = (0..<70).map { AuditEvent(time: .init(millisecondsSinceEpoch: 1_000 + Int64($0 / 3)), kind: kinds[$0 % kinds.count], user: "u\($0)") }
        try await seats.store.commit(events.map { .appendAudit($0) })
        var seen: [String] = []
        var after: AuditCursor?
        while true {
            let page = try seats.store.auditEvents(AuditQuery(after: after, limit: 4, maximumExamined: 6))
            seen += page.events.map(\.user)
            after = page.nextCursor
            if page.isComplete { break }
        }
        #expect(seen == events.map(\.user))
        let admin = try seats.store.auditEvents(AuditQuery(kinds: [.admin, .forceRelease], limit: 1_000)).events
        #expect(admin.map(\.user) == events.filter { $0.kind.auditClass == .admin }.map(\.user))
    }
}

extension ServerMessage {
    var errorCode: ErrorCode? {
        if case .error(let reply) = self { return reply.code }
        return nil
    }
}
