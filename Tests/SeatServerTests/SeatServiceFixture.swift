import Foundation
import Logging
import NIOCore
import NIOEmbedded
import SeatProtocol
import SeatCore
import SeatLicensing
@testable import SeatServer
import SeatStorage
import Synchronization
import Testing

/// A `SeatService` over a real `SeatStore` in a temporary directory (no fsync), on a
/// `ManualClock`, with the commits of license actors passing through `FailingCommits`.
final class SeatServiceFixture: Sendable {
    static let lease: Int64 = 60_000
    static let policy = LeasePolicy(leaseMilliseconds: lease, heartbeatIntervalMilliseconds: 20_000)

    let directory: String
    let store: SeatStore
    let clock: ManualClock
    let connections = ConnectionDirectory()
    let commits: FailingCommits
    let service: SeatService

    /// Unsigned test licenses are served: development mode.
    static let developmentMode = LicenseVerifier(trustedKeys: [], allowUnsigned: true)

    init(
        licenses: [License], retentionSeconds: Double = 3_600, clock: ManualClock = ManualClock(), reopening directory: String? = nil,
        maximumMapSizeBytes: Int = 16 << 30, verifier: LicenseVerifier = SeatServiceFixture.developmentMode, queueLimits: QueueLimits = QueueLimits()
    ) async throws {
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("seatd-seats-\(UUID().uuidString)").path
        self.clock = clock
        store = try SeatStore(options: StorageOptions(
            directory: self.directory, initialMapSizeBytes: 1 << 20, maximumMapSizeBytes: maximumMapSizeBytes, durability: .noSync), logger: silentLogger)
        commits = FailingCommits(store)
        service = try await SeatService(
            store: store, policy: Self.policy, endedSessionRetentionSeconds: retentionSeconds, revocations: connections,
            verifier: verifier, clock: clock, commits: commits, queueLimits: queueLimits, logger: silentLogger
        )
        if !licenses.isEmpty { _ = try await service.upsertLicenses(licenses, by: "test") }
    }

    /// Closes the store; the directory stays for `reopen`, or goes with `remove`.
    func close() { store.close() }

    func remove() {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func acquire(_ user: String, license: String = "LIC-1", hardware: String = "hw", as principal: Principal = .administrator) async -> Result<AcquireSuccess, SeatFailure> {
        let request = SeatRequest(licenseKey: license, user: user, hostname: "host-\(user)", hardwareID: hardware, clientVersion: "1", clientAddress: "10.0.0.1")
        let result = await withCheckedContinuation { continuation in
            service.acquire(request, as: principal) { continuation.resume(returning: $0) }
        }
        await turnsEnded()
        return result
    }

    func heartbeat(_ token: SessionToken) async -> Result<Session, SeatFailure> {
        await withCheckedContinuation { continuation in
            service.heartbeat(token, as: .administrator) { continuation.resume(returning: $0) }
        }
    }

    func release(_ token: SessionToken) async -> Result<ReleaseSuccess, SeatFailure> {
        let result = await withCheckedContinuation { continuation in
            service.release(token, as: .administrator) { continuation.resume(returning: $0) }
        }
        await turnsEnded()
        return result
    }

    func validate(_ license: String = "LIC-1") async -> Result<LicenseSnapshot, SeatFailure> {
        await withCheckedContinuation { continuation in
            service.validate(licenseKey: license, as: .administrator) { continuation.resume(returning: $0) }
        }
    }

    /// An AcquireOrWait as request `requestID` of `link`.
    func acquireOrWait(_ user: String, on link: ConnectionLink, requestID: UInt32 = 2, license: String = "LIC-1") async -> Result<AcquireOutcome, SeatFailure> {
        let request = SeatRequest(licenseKey: license, user: user, hostname: "host-\(user)", hardwareID: "hw-\(user)", clientVersion: "1", clientAddress: "10.0.0.1")
        let result = await withCheckedContinuation { continuation in
            service.acquireOrWait(request, requestID: requestID, as: .administrator, on: link) { continuation.resume(returning: $0) }
        }
        await turnsEnded()
        return result
    }

    /// A license actor answers a request and then, in the same turn, serves its queue (at
    /// the clock's time then). Waits until every actor is past that turn, so a test's next
    /// `advance` cannot overtake it and hand a seat to a waiter the test meant to lapse.
    func turnsEnded() async {
        _ = await service.waiters()
    }

    /// Who waits for `license`, in order.
    func waitingUsers(_ license: String = "LIC-1") async -> [String] {
        await service.waiters(licenseKey: license).flatMap { $0.waiters.map(\.request.user) }
    }

    func advance(milliseconds: Int64) {
        clock.advance(by: .milliseconds(milliseconds))
    }
}

/// Passes commits to the store, except that the next `failNext` ones fail (as a full disk
/// would) without reaching it. Records how many sessions each commit ends, and counts the
/// lazy commits.
final class FailingCommits: SeatCommits {
    private let store: SeatStore
    private let failures = Atomic<Int>(0)
    private let endCounts = Mutex<[Int]>([])
    private let lazy = Atomic<Int>(0)

    /// Lazy commits (stored heartbeats, re-attaches) passed on so far.
    var lazyCommits: Int { lazy.load(ordering: .sequentiallyConsistent) }

    /// Sessions ended by each commit that ended any, in order, including failed ones.
    var endsPerCommit: [Int] { endCounts.withLock { $0 } }

    init(_ store: SeatStore) {
        self.store = store
    }

    func failNext(_ count: Int) {
        failures.store(count, ordering: .sequentiallyConsistent)
    }

    func commit(_ changes: [StoreChange], completion: @escaping @Sendable (Result<Void, StorageError>) -> Void) {
        let ends = changes.count { if case .endSession = $0 { true } else { false } }
        if ends > 0 { endCounts.withLock { $0.append(ends) } }
        let (remaining, _) = failures.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        if remaining > 0 { return completion(.failure(.full("injected by the test"))) }
        failures.store(0, ordering: .sequentiallyConsistent)
        store.commit(changes, completion: completion)
    }

    func commitLazily(_ changes: [StoreChange]) {
        lazy.add(1, ordering: .sequentiallyConsistent)
        store.commitLazily(changes)
    }
}

func testLicense(_ key: String = "LIC-1", seats: Int, tenant: String = License.defaultTenant) -> License {
    License(key: key, tenant: tenant, seats: seats, provenance: LicenseProvenance(origin: .admin))
}

/// A connection as the seat layer sees it, on a thread-safe test channel.
func testLink(principal: Principal? = .administrator, peer: String = "10.0.0.1") -> (ConnectionLink, NIOAsyncTestingChannel) {
    let channel = NIOAsyncTestingChannel()
    return (ConnectionLink(channel: channel, peerAddress: peer, principal: principal), channel)
}

let silentLogger = Logger(label: "seat-tests") { _ in SwiftLogNoOpLogHandler() }

extension SeatServiceFixture {
    /// The server's request handling over this fixture's seats, as a connection sees it.
    func dispatcher(borrowKey: BorrowSigningKey = .generate(), throttleLimit: Int = 5, globalThrottleLimit: Int = 100, throttleWindowSeconds: Double = 60, audit: AuditLog? = nil) throws -> (RequestDispatcher, AccessRegistry) {
        let access = try AccessRegistry(store: store, clock: clock, connections: connections)
        let audit = audit ?? AuditLog(store: store, aggregationWindowSeconds: 60)
        let metrics = SeatMetrics()
        let admin = AdminDispatcher(
            service: service, access: access, audit: audit, reports: UsageReports(store: store, service: service, clock: clock),
            hooks: .init(verifyLicenses: { _, _ in [] }, allowsUnsignedLicenses: { false }, reload: {}, shutdown: {}),
            borrowPublicKey: borrowKey.publicKey, metrics: metrics, clock: clock, logger: silentLogger
        )
        let dispatcher = RequestDispatcher(
            service: service, access: access,
            gate: AuthenticationGate(limit: throttleLimit, globalLimit: globalThrottleLimit, windowSeconds: throttleWindowSeconds, clock: clock),
            connections: connections, admin: admin, audit: audit, seatEvents: SeatEventLog(enabled: false, logger: silentLogger),
            metrics: metrics, clock: clock, borrowKey: borrowKey
        )
        return (dispatcher, access)
    }
}

extension RequestDispatcher {
    func respond(to message: ClientMessage, requestID: UInt32 = 1, on link: ConnectionLink) async -> RequestOutcome {
        await withCheckedContinuation { continuation in
            respond(to: message, requestID: requestID, on: link) { continuation.resume(returning: $0) }
        }
    }
}
