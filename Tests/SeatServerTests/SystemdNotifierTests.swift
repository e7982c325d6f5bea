import Foundation
import Glibc
@testable import SeatServer
import Testing

@Suite struct SystemdNotifierTests {
    @Test func pathAddress() throws {
        let address = try #require(SystemdNotifySocketAddress("/run/systemd/notify"))
        #expect(!address.isAbstract)
        #expect(address.pathBytes == Array("/run/systemd/notify".utf8))
        // sun_path offset (2) + path + its terminating NUL.
        #expect(address.socketLength == socklen_t(2 + 19 + 1))
    }

    @Test func abstractAddressHasLeadingNulAndNoTrailingNul() throws {
        let address = try #require(SystemdNotifySocketAddress("@seatd/notify"))
        #expect(address.isAbstract)
        #expect(address.pathBytes == [0] + Array("seatd/notify".utf8))
        #expect(address.socketLength == socklen_t(2 + 13))
    }

    @Test(arguments: ["", "@", "relative/notify", "vsock:2:1234", "/" + String(repeating: "x", count: 107)])
    func unusableAddressesAreRefused(_ value: String) {
        #expect(SystemdNotifySocketAddress(value) == nil)
    }

    @Test func longestPathAndAbstractNameFit() {
        #expect(SystemdNotifySocketAddress("/" + String(repeating: "x", count: 106)) != nil)
        #expect(SystemdNotifySocketAddress("@" + String(repeating: "x", count: 107)) != nil)
        #expect(SystemdNotifySocketAddress("@" + String(repeating: "x", count: 108)) == nil)
    }

    @Test func noNotifySocketMeansNoNotifier() {
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/systemd/notify"]) != nil)
    }

    @Test func watchdogIsHalfOfWatchdogUsecForThisProcess() {
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"], processID: 42) == .seconds(15))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"], processID: 42) == .seconds(15))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"], processID: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "0"], processID: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "soon"], processID: 42) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: [:], processID: 42) == nil)
    }

    @Test func datagramReachesAPathSocket() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        let receiver = try DatagramReceiver(pathBytes: Array(path.utf8) + [0])
        defer { unlink(path) }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": path]))
        #expect(notifier.notify("READY=1\nSTATUS=testing"))
        #expect(receiver.receive() == "READY=1\nSTATUS=testing")
    }

    @Test func datagramReachesAnAbstractSocket() throws {
        let name = "seatd-test-\(UUID().uuidString.prefix(8))"
        let receiver = try DatagramReceiver(pathBytes: [0] + Array(name.utf8))
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name]))
        #expect(notifier.notify("WATCHDOG=1"))
        #expect(receiver.receive() == "WATCHDOG=1")
    }

    @Test func nobodyListeningIsNotAnError() {
        let notifier = SystemdNotifier(address: SystemdNotifySocketAddress("@seatd-nobody-\(UUID().uuidString.prefix(8))")!)
        #expect(!notifier.notify("READY=1"))
    }
}
