import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// A genuinely full disk (a small tmpfs): writes are refused with `storageFull`, the store
/// is not corrupted, and everything acknowledged is there after a restart.
@Suite(.enabled(if: SmallFilesystem.canMount, "needs root to mount a small tmpfs"))
struct DiskFullTests {
    @Test func fullDiskRefusesWritesWithoutLosingOrCorruptingAnything() async throws {
        let filesystem = try SmallFilesystem(megabytes: 3)
        defer { filesystem.unmount() }
        // The map may grow far beyond the disk: the disk, not the map, is what runs out.
        let settings = DaemonProcess.durable.merging(["storage_initial_map_mb": "1", "storage_max_map_mb": "256"]) { $1 }
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: "DISK", seats: 1_000_000)], stateDirectory: filesystem.path, settings: settings)
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
        #expect(refusal == .storageFull)
        #expect(acknowledged.count > 100)
        // Still serving reads and heartbeats.
        #expect(try await client.validate(licenseKey: "DISK").seatsInUse == UInt32(acknowledged.count))
        _ = try await client.heartbeat(acknowledged[0])
        await first.kill()

        // Restart on the same full disk: the store opens and holds every acknowledged session.
        try await DaemonProcess.start(stateDirectory: filesystem.path, settings: settings).use { second in
            let again = try await second.connect()
            #expect(try await again.validate(licenseKey: "DISK").seatsInUse == UInt32(acknowledged.count))
            for token in acknowledged { _ = try await again.heartbeat(token) }
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

    func unmount() {
        umount2(path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: path)
    }
}
