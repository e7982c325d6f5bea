import Foundation
import Logging
import SeatCore
@testable import SeatStorage

/// A fresh directory under the system temp dir, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-storage-tests-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url.path)
}

let quietLogger = Logger(label: "storage-tests") { _ in SwiftLogNoOpLogHandler() }

func openStore(_ directory: String, initialMapSizeBytes: Int = 1 << 20, maximumMapSizeBytes: Int = 1 << 30,
               durability: Durability = .fsync) throws -> SeatStore {
    try SeatStore(
        options: StorageOptions(
            directory: directory,
            initialMapSizeBytes: initialMapSizeBytes,
            maximumMapSizeBytes: maximumMapSizeBytes,
            durability: durability),
        logger: quietLogger)
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
