import Foundation
import SeatClient
import SeatCore
import Synchronization
import Testing

/// `seatd backup` copies the store while the daemon serves; a daemon started on the
/// copy holds every session acknowledged before the backup began.
@Suite struct BackupTests {
    @Test func backupUnderLoadHoldsEveryAcknowledgedSession() async throws {
        let licenses = [TestLicense(key: "BAK", seats: 100_000)]
        let daemon = try await DaemonProcess.start(licenses: licenses)
        let backupDirectory = DaemonProcess.makeStateDirectory() + "/backup"
        let restoredState = DaemonProcess.makeStateDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: backupDirectory).deletingLastPathComponent().path)
        }
        try await daemon.use { daemon in
            var connections: [SeatConnection] = []
            for _ in 0..<6 { connections.append(try await daemon.connect()) }
            let granted = GrantLog()
            let clients = connections
            let stop = StopFlag()
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    for (index, connection) in clients.enumerated() {
                        group.addTask {
                            var attempt = 0
                            while !stop.isSet && attempt < 20_000 {
                                let user = "b\(index)-\(attempt)"
                                attempt += 1
                                guard let grant = try? await connection.acquire(licenseKey: "BAK", user: user, hostname: "h", hardwareID: user, clientVersion: "1") else { continue }
                                await granted.add(grant.token)
                            }
                        }
                    }
                }
            }
            try await waitUntil("grants under way") { await granted.tokens.count >= 20 }
            let acknowledgedBefore = await granted.tokens
            let result = try await ChildCommand.run(DaemonProcess.binary, ["backup", "-o", "state_directory=\(daemon.stateDirectory)", "--to", backupDirectory])
            // The daemon kept serving during and after the copy.
            let grantedByTheEnd = await granted.tokens.count
            try await waitUntil("grants after the copy") { await granted.tokens.count > grantedByTheEnd }
            stop.set()
            await load.value
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("backup written to \(backupDirectory)/data.mdb"))

            // Restore: the copy becomes the data directory of a fresh state directory.
            try FileManager.default.createDirectory(atPath: restoredState + "/data", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: backupDirectory + "/data.mdb", toPath: restoredState + "/data/data.mdb")
            try TestLicense.write(licenses, to: restoredState + "/licenses.json")
            let restored = try await DaemonProcess.start(stateDirectory: restoredState)
            try await restored.use { restored in
                let client = try await restored.connect()
                for token in acknowledgedBefore {
                    _ = try await client.heartbeat(token)
                }
                #expect(try await client.validate(licenseKey: "BAK").seatsInUse >= acknowledgedBefore.count)
                await client.close()
            }
            for connection in connections { await connection.close() }
        }
    }

    @Test func backupRefusesNoStoreAndAnExistingCopy() async throws {
        let empty = DaemonProcess.makeStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let missing = try await ChildCommand.run(DaemonProcess.binary, ["backup", "-o", "state_directory=\(empty)", "--to", empty + "/copy"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("no seatd store at"))
        #expect(!FileManager.default.fileExists(atPath: empty + "/data/data.mdb"))

        try await withDaemon(licenses: [TestLicense(key: "BAK", seats: 1)]) { daemon in
            let target = daemon.stateDirectory + "/copy"
            let first = try await ChildCommand.run(DaemonProcess.binary, ["backup", "-o", "state_directory=\(daemon.stateDirectory)", "--to", target])
            #expect(first.status == 0, "\(first.output)")
            #expect(first.output.contains("1 licenses"))
            let second = try await ChildCommand.run(DaemonProcess.binary, ["backup", "-o", "state_directory=\(daemon.stateDirectory)", "--to", target])
            #expect(second.status == 1)
            #expect(second.output.contains("already holds a data.mdb"))
        }
    }
}

/// Set once by the test to stop its load tasks.
final class StopFlag: Sendable {
    private let flag = Synchronization.Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
