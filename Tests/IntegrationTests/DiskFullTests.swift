import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// A genuinely full disk (a small tmpfs): grants are refused with `storageFull` at the
/// disk reserve, while releases and expiries keep being stored even once someone else has
/// taken every byte; nothing is corrupted or lost, and when space returns grants work
/// again without a restart.
@Suite(.enabled(if: SmallFilesystem.canMount, "needs root to mount a small tmpfs"))
struct DiskFullTests {
    @Test func fullDiskKeepsEndingSessionsAndRecoversWhenSpaceReturns() async throws {
        let filesystem = try SmallFilesystem(megabytes: 6)
        defer { filesystem.unmount() }
        // Other files on the same disk: deleting them is the space an operator frees.
        let other = filesystem.path + "/other-files"
        try Data(repeating: 1, count: 2 << 20).write(to: URL(fileURLWithPath: other))
        let lease = 30.0
        // The map may grow far beyond the disk: the disk, not the map, is what runs out.
        let settings = DaemonProcess.durable.merging([
            "storage_initial_map_mb": "1", "storage_max_map_mb": "256", "storage_disk_reserve_mb": "1",
            "lease_seconds": "\(Int(lease))", "heartbeat_interval_seconds": "10", "sweep_interval_seconds": "1",
        ]) { $1 }
        // It waits out a real lease: first in line for a daemon, so the suite does not wait for it.
        let first = try await DaemonProcess.start(
            licenses: [TestLicense(key: "DISK", seats: 1_000_000)], stateDirectory: filesystem.path, settings: settings, queue: .first)
        var acknowledged: [SessionToken] = []
        var refusal: ErrorCode?
        let client = try await first.connect()
        for attempt in 0..<100_000 {
            let user = "user-\(attempt)-" + String(repeating: "x", count: 200)
            do {
                acknowledged.append(try await client.acquire(licenseKey: "DISK", user: user, hostname: "host", hardwareID: user, clientVersion: "1").token)
            } catch let reply as ErrorReply {
                refusal = reply.code
                break
            }
        }
        // The last grant's lease; the earlier ones end before it.
        let leasesEnd = ContinuousClock.now + .seconds(lease)
        #expect(refusal == .storageFull)
        #expect(acknowledged.count > 200)
        try await first.waitForLog(containing: "msg=\"storage high-water")

        // Someone else takes every byte left on the disk.
        let filler = filesystem.path + "/filler"
        SmallFilesystem.fill(filler)
        #expect(SmallFilesystem.availableBytes(filesystem.path) < 64 << 10)

        // Still serving: 200 releases (of the newest seats, well within their lease) are
        // stored and answered; grants stay refused.
        var released = 0
        for token in acknowledged.suffix(200) {
            if (try? await client.release(token))?.ended == true { released += 1 }
        }
        #expect(released == 200)
        await #expect(throws: ErrorReply.self) {
            try await client.acquire(licenseKey: "DISK", user: "newcomer", hostname: "h", hardwareID: "newcomer", clientVersion: "1")
        }

        // Every other seat is reclaimed once its lease is over: none stays frozen.
        var live = try await client.validate(licenseKey: "DISK").seatsInUse
        while live > 0 && ContinuousClock.now < leasesEnd + .seconds(30) {
            try await Task.sleep(for: .milliseconds(200))
            live = try await client.validate(licenseKey: "DISK").seatsInUse
        }
        print("disk full: \(acknowledged.count) sessions granted, \(released) of 200 releases stored, \(live) sessions live after their lease (waited \(ContinuousClock.now - leasesEnd) past it)")
        #expect(live == 0)
        // Told only once durable: a heartbeat of an expired seat says so.
        do {
            _ = try await client.heartbeat(acknowledged[0])
            Issue.record("a heartbeat renewed a lapsed session")
        } catch let reply as ErrorReply {
            #expect(reply.code == .sessionExpired)
        }

        // Space returns: grants work again, with no restart.
        try FileManager.default.removeItem(atPath: filler)
        try FileManager.default.removeItem(atPath: other)
        let returned = ContinuousClock.now
        var regranted: SessionToken?
        while regranted == nil && ContinuousClock.now < returned + .seconds(30) {
            regranted = try? await client.acquire(licenseKey: "DISK", user: "after", hostname: "h", hardwareID: "after", clientVersion: "1").token
            if regranted == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        print("disk full: first grant \(ContinuousClock.now - returned) after space returned")
        let after = try #require(regranted)
        await client.close()
        await first.kill()

        // Nothing acknowledged is lost or undone: the ends and the new grant are there.
        try await DaemonProcess.start(stateDirectory: filesystem.path, settings: settings).use { second in
            let again = try await second.connect()
            #expect(try await again.validate(licenseKey: "DISK").seatsInUse == 1)
            _ = try await again.heartbeat(after)
            await again.close()
        }
    }
}

/// A tmpfs of a few megabytes, mounted for one test.
struct SmallFilesystem {
    let path: String

    static let canMount: Bool = {
        guard getuid() == 0, let probe = try? SmallFilesystem(megabytes: 1) else { return false }
        probe.unmount()
        return true
    }()

    init(megabytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-small-fs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Glibc.mount("tmpfs", path, "tmpfs", 0, "size=\(megabytes)m") == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM)
        }
    }

    /// Writes `path` until the file system has no byte left for it.
    static func fill(_ path: String) {
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xA5, count: 64 << 10)
        var size = chunk.count
        while size > 0 {
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
            if written <= 0 { size /= 2 }
        }
    }

    static func availableBytes(_ path: String) -> Int {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return -1 }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    func unmount() {
        umount2(path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: path)
    }
}
