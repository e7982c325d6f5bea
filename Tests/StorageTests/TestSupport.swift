import Foundation
import Logging
import SeatCore
import Synchronization
@testable import SeatStorage

/// A fresh directory under the system temp dir, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-storage-tests-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url.path)
}

let quietLogger = Logger(label: "storage-tests") { _ in SwiftLogNoOpLogHandler() }

func openStore(_ directory: String, initialMapSizeBytes: Int = 1 << 20, maximumMapSizeBytes: Int = 1 << 30,
               durability: Durability = .fsync, lazyCommitDelay: Duration = .milliseconds(20)) throws -> SeatStore {
    try SeatStore(
        options: StorageOptions(
            directory: directory,
            initialMapSizeBytes: initialMapSizeBytes,
            maximumMapSizeBytes: maximumMapSizeBytes,
            durability: durability,
            lazyCommitDelay: lazyCommitDelay),
        logger: quietLogger)
}

/// Opens `directory` again, as a restart would, and reads its live sessions.
func liveSessionsAfterReopening(_ directory: String) throws -> [Session] {
    let reopened = try openStore(directory)
    defer { reopened.close() }
    return try reopened.loadLiveSessions()
}

/// A heartbeat's change for session `number`: its lease now runs to `expiresAt` (ms).
func refresh(_ number: Int, heartbeatAt: Int64, expiresAt: Int64) -> StoreChange {
    .refreshLease(token: token(number), lastHeartbeatAt: .init(millisecondsSinceEpoch: heartbeatAt), leaseExpiresAt: .init(millisecondsSinceEpoch: expiresAt))
}

func token(_ number: Int) -> SessionToken {
    SessionToken(high: 0x5EA7_0000_0000_0000 | UInt64(number), low: UInt64(number) &* 0x9E37_79B9_7F4A_7C15)
}

func session(_ number: Int, license: String = "LIC-1", at time: Int64 = 1_700_000_000_000) -> Session {
    Session(
        token: token(number),
        licenseKey: license,
        user: "user\(number)",
        hostname: "host-\(number).example.com",
        hardwareID: "hw-\(number)",
        clientVersion: "2.4.1",
        clientAddress: "10.0.\(number / 256 % 256).\(number % 256):50123",
        createdAt: Timestamp(millisecondsSinceEpoch: time),
        lastHeartbeatAt: Timestamp(millisecondsSinceEpoch: time + 1),
        leaseExpiresAt: Timestamp(millisecondsSinceEpoch: time + 360_000))
}

func ended(_ number: Int, at time: Int64, end: SessionEnd = .released, license: String = "LIC-1") -> EndedSession {
    EndedSession(token: token(number), licenseKey: license, end: end, endedAt: Timestamp(millisecondsSinceEpoch: time))
}

func license(_ key: String, seats: Int = 5) -> License {
    License(key: key, seats: seats, tier: "pro", features: ["export": "yes", "render": "gpu"],
            expiresAt: Timestamp(millisecondsSinceEpoch: 1_900_000_000_000), state: .active)
}

extension Array where Element == Session {
    func sortedByToken() -> [Session] { sorted { ($0.token.high, $0.token.low) < ($1.token.high, $1.token.low) } }
}

extension Array where Element == License {
    func sortedByKey() -> [License] { sorted { $0.key < $1.key } }
}

/// Holds the storage writer inside a commit's completion, so that every job enqueued
/// meanwhile forms its next batch: group commit made deterministic. Only the writer
/// thread waits; the test's task awaits without blocking.
final class WriterGate: Sendable {
    private let opened = DispatchSemaphore(value: 0)

    static func hold(_ store: SeatStore) async -> WriterGate {
        let gate = WriterGate()
        await withCheckedContinuation { (entered: CheckedContinuation<Void, Never>) in
            store.commit([]) { _ in
                entered.resume()
                gate.opened.wait()
            }
        }
        return gate
    }

    func open() {
        opened.signal()
    }
}

/// Enqueues each list of changes as a caller of its own while `gate` holds the writer
/// (straight to the writer, past `SeatStore`'s up-front key check), opens the gate and
/// returns every caller's result in submission order: one batch, deterministically.
func commitInOneBatch(_ store: SeatStore, _ calls: [[StoreChange]], gate: WriterGate) async -> [Result<Void, StorageError>] {
    let (results, yield) = AsyncStream.makeStream(of: (Int, Result<Void, StorageError>).self)
    for (index, changes) in calls.enumerated() {
        store.writer.commit(changes) { yield.yield((index, $0)) }
    }
    gate.open()
    var ordered = [Result<Void, StorageError>?](repeating: nil, count: calls.count)
    for await (index, result) in results.prefix(calls.count) {
        ordered[index] = result
    }
    return ordered.map { $0! }
}

/// Writes a raw record, bypassing the store (which must be closed).
func overwrite(in directory: String, database: String, key: [UInt8], value: [UInt8]) throws {
    let environment = try LMDBEnvironment(directory: directory, mapSizeBytes: 1 << 20, maximumReaders: 8, noSync: false)
    defer { environment.close() }
    try environment.write { txn throws(StorageError) in
        let dbi = try txn.openDatabase(named: database, create: false)
        try key.withBytes { key throws(StorageError) in
            try value.withBytes { value throws(StorageError) in try txn.put(dbi, key, value) }
        }
    }
}

/// A license key LMDB refuses (one byte over its limit), as one that slipped past
/// `SeatStore`'s check would be.
let overlongKey = String(repeating: "k", count: 512)

/// A value shared with completions that run on the writer thread.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}
