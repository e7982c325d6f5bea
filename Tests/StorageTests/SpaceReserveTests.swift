import Foundation
import SeatCore
@testable import SeatStorage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A store that fills up keeps storing ends: writes that add data are refused at the
/// high-water mark (map) or the disk reserve, the rest is kept for releases and expiries,
/// and adding writes are accepted again once space is freed, without reopening.
@Suite struct SpaceReserveTests {
    private func openSmallStore(_ directory: String, maximumMapSizeBytes: Int = 1 << 20, diskReserveBytes: Int = 0) throws -> SeatStore {
        try SeatStore(options: StorageOptions(
            directory: directory, initialMapSizeBytes: min(1 << 20, maximumMapSizeBytes), maximumMapSizeBytes: maximumMapSizeBytes,
            durability: .noSync, diskReserveBytes: diskReserveBytes), logger: quietLogger)
    }

    /// Grants (a session and its audit event, one commit each) until one is refused.
    private func grantUntilRefused(_ store: SeatStore, from first: Int = 0, limit: Int = 100_000) async -> (granted: [Int], refusal: StorageError?) {
        var granted: [Int] = []
        for number in first..<(first + limit) {
            do {
                try await store.commit([.putSession(session(number)), .appendAudit(auditEvent(number, at: Int64(number)))])
                granted.append(number)
            } catch {
                return (granted, error)
            }
        }
        return (granted, nil)
    }

    private func end(_ number: Int, at time: Int64) -> [StoreChange] {
        [.endSession(ended(number, at: time, end: .expired)), .appendAudit(auditEvent(number, at: time, kind: .expiry))]
    }

    @Test func grantsAreRefusedAtTheHighWaterMarkAndEveryEndStillCommits() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openSmallStore(directory)
            defer { store.close() }
            let (granted, refusal) = await grantUntilRefused(store)
            guard case .full(let reason) = try #require(refusal) else {
                Issue.record("expected .full, got \(String(describing: refusal))")
                return
            }
            #expect(reason.contains("high-water"), "refused at the mark, not when the map ran out: \(reason)")
            #expect(granted.count > 500)
            #expect(store.statistics.refusingAddingWrites)
            // An audit event of its own adds data too.
            await #expect(throws: StorageError.self) { try await store.commit([.appendAudit(auditEvent(1, at: 1))]) }

            // Every end is stored, one commit each as releases are: the reserve holds them.
            var failedEnds = 0
            for number in granted {
                do { try await store.commit(end(number, at: 10_000_000)) } catch { failedEnds += 1 }
            }
            #expect(failedEnds == 0)
            #expect(try store.loadLiveSessions().isEmpty)

            // Space freed (the ends gave back the room kept for them; tombstones and audit
            // events past retention purged): grants again, without reopening.
            _ = try await store.purgeEndedSessions(endedBefore: .init(millisecondsSinceEpoch: .max), limit: 1_000_000)
            for auditClass in AuditClass.allCases {
                _ = try await store.purgeAudit(auditClass, olderThan: .init(millisecondsSinceEpoch: .max), maxBytes: 0, limit: 1_000_000)
            }
            try await store.commit([.putSession(session(1_000_000)), .appendAudit(auditEvent(1, at: 20_000_000))])
            #expect(!store.statistics.refusingAddingWrites)
            #expect(try store.loadLiveSessions().map(\.token) == [token(1_000_000)])
        }
    }

    /// In one batch at the mark: the grant and the lone audit event are refused, the end
    /// and the heartbeat in the same transaction commit.
    @Test func onlyTheAddingJobsOfABatchAreRefused() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openSmallStore(directory)
            defer { store.close() }
            let (granted, _) = await grantUntilRefused(store)
            let gate = await WriterGate.hold(store)
            let results = await commitInOneBatch(store, [
                [.putSession(session(500_000))],
                end(granted[0], at: 10_000_000),
                [.appendAudit(auditEvent(2, at: 10_000_001))],
                [.refreshLease(token: token(granted[1]), lastHeartbeatAt: .init(millisecondsSinceEpoch: 5), leaseExpiresAt: .init(millisecondsSinceEpoch: 9_000_000))],
            ], gate: gate)
            #expect(results.map { (try? $0.get()) != nil } == [false, true, false, true])
            let live = try store.loadLiveSessions()
            #expect(!live.contains { $0.token == token(granted[0]) })
            #expect(live.first { $0.token == token(granted[1]) }?.leaseExpiresAt == .init(millisecondsSinceEpoch: 9_000_000))
            #expect(try store.endedSession(token(granted[0]))?.end == .expired)
        }
    }

    /// A genuinely full file system (a small tmpfs, filled by someone else): the reserve
    /// file is released for ends, grants are refused while space is short, and once space
    /// returns the reserve is put back and grants are accepted again.
    @Test(.enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
    func fullDiskKeepsStoringEndsAndRecoversWhenSpaceReturns() async throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-reserve-fs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=8m") == 0 else {
            Issue.record("tmpfs mount failed: \(errno)")
            return
        }
        defer {
            umount2(mountPoint, Int32(MNT_DETACH))
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        // Other files share the disk; deleting them later is the space that returns.
        let other = mountPoint + "/other"
        try Data(repeating: 1, count: 3 << 20).write(to: URL(fileURLWithPath: other))
        let directory = mountPoint + "/data"
        let reserve = 1 << 20
        let store = try openSmallStore(directory, maximumMapSizeBytes: 64 << 20, diskReserveBytes: reserve)
        defer { store.close() }
        let reservePath = directory + "/" + SpaceReserve.fileName
        #expect(fileBlocksBytes(reservePath) >= reserve)

        // Grants stop while the disk still has the reserve free.
        let (granted, refusal) = await grantUntilRefused(store)
        guard case .full(let reason) = try #require(refusal) else {
            Issue.record("expected .full, got \(String(describing: refusal))")
            return
        }
        #expect(reason.contains("reserve"), "\(reason)")
        #expect(granted.count > 100)

        // Someone else fills the disk completely.
        let filler = mountPoint + "/filler"
        fillDisk(filler)
        var failedEnds = 0
        for number in granted {
            do { try await store.commit(end(number, at: 10_000_000)) } catch { failedEnds += 1 }
        }
        #expect(failedEnds == 0)
        #expect(try store.loadLiveSessions().isEmpty)
        await #expect(throws: StorageError.self) { try await store.commit([.putSession(session(900_000))]) }

        // Space returns: the next grant puts the reserve back and is stored, no reopen.
        try FileManager.default.removeItem(atPath: filler)
        try FileManager.default.removeItem(atPath: other)
        _ = try await store.purgeEndedSessions(endedBefore: .init(millisecondsSinceEpoch: .max), limit: 1_000_000)
        try await store.commit([.putSession(session(900_001)), .appendAudit(auditEvent(1, at: 20_000_000))])
        #expect(fileBlocksBytes(reservePath) >= reserve)
        #expect(!store.statistics.refusingAddingWrites)
    }

    private func fileBlocksBytes(_ path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int(info.st_blocks) * 512
    }

    /// Writes `path` until the file system has no byte left.
    private func fillDisk(_ path: String) {
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xA5, count: 64 << 10)
        var size = chunk.count
        while size > 0 {
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
            if written <= 0 { size /= 2 }
        }
    }
}
