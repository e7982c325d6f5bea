import Foundation
import Testing

/// seatd as a `Type=notify` service: the test plays systemd's part with a datagram
/// socket in NOTIFY_SOCKET.
@Suite struct SystemdNotifyTests {
    @Test func readyWatchdogAndStoppingArriveInOrder() async throws {
        let notify = try NotifySocketListener()
        let daemon = try await DaemonProcess.start(
            licenses: [TestLicense(key: "NOTIFY", seats: 1)],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "300000"]
        )
        try await daemon.use { daemon in
            let serving = try await notify.wait { $0.filter { $0 == "WATCHDOG=1" }.count >= 3 }
            // READY=1 comes first, names the bound port, and the port is serving by then.
            #expect(serving.first?.hasPrefix("READY=1\nSTATUS=serving 0 sessions on 127.0.0.1:\(daemon.port)") == true)
            let client = try await daemon.connect()
            #expect(try await client.validate(licenseKey: "NOTIFY").seatsTotal == 1)
            await client.close()

            // Pings keep coming while it serves. (Their spacing, half of WATCHDOG_USEC, is
            // tested on a manual clock; counting them in a window of real time is not robust.)
            let before = notify.messages.filter { $0 == "WATCHDOG=1" }.count
            _ = try await notify.wait { $0.filter { $0 == "WATCHDOG=1" }.count >= before + 3 }

            #expect(await daemon.terminate() == 0)
            let all = notify.messages
            let stopping = try #require(all.firstIndex { $0.hasPrefix("STOPPING=1") })
            #expect(all.firstIndex { $0.hasPrefix("READY=1") }! < stopping)
            #expect(!all[(stopping + 1)...].contains("WATCHDOG=1"), "no pings after STOPPING=1: \(all[stopping...])")
        }
    }

    @Test func watchdogForAnotherProcessIsNotPinged() async throws {
        let notify = try NotifySocketListener()
        // WATCHDOG_PID names some other process (PID 1): the watchdog is not seatd's to feed.
        let daemon = try await DaemonProcess.start(
            licenses: [TestLicense(key: "NOTIFY", seats: 1)],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"]
        )
        try await daemon.use { _ in
            _ = try await notify.wait { $0.contains { $0.hasPrefix("READY=1") } }
            // An absence takes a fixed wait to show: six of the 100 ms ping periods.
            // (Slowness can only hide pings that should not exist, never invent one.)
            try await Task.sleep(for: .milliseconds(600))
            #expect(!notify.messages.contains("WATCHDOG=1"))
        }
    }

    @Test func reloadIsAnnouncedAndEndsReady() async throws {
        let notify = try NotifySocketListener()
        let daemon = try await DaemonProcess.start(licenses: [TestLicense(key: "NOTIFY", seats: 1)], environment: ["NOTIFY_SOCKET": notify.path])
        try await daemon.use { daemon in
            _ = try await notify.wait { $0.contains { $0.hasPrefix("READY=1") } }
            daemon.signal(SIGHUP)
            let messages = try await notify.wait { $0.filter { $0.hasPrefix("READY=1") }.count >= 2 }
            let reloading = try #require(messages.firstIndex { $0.hasPrefix("RELOADING=1") })
            #expect(messages[reloading...].contains { $0.hasPrefix("READY=1") })
        }
    }
}
