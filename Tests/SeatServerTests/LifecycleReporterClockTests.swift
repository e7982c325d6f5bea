import Foundation
import Glibc
import Logging
@testable import SeatServer
import Testing

/// The reporter's periodic sd_notify messages on a `ManualClock`: watchdog pings at
/// exactly their interval, a STATUS line once per status interval, and an exact count.
@Suite struct LifecycleReporterClockTests {
    @Test func watchdogPingsAndStatusFollowTheClock() async throws {
        let name = "seatd-reporter-\(UUID().uuidString.prefix(8))"
        let receiver = try DatagramReceiver(pathBytes: [0] + Array(name.utf8))
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name]))
        let clock = ManualClock()
        let readiness = Readiness()
        let reporter = LifecycleReporter(
            notifier: notifier, watchdogInterval: .seconds(15), statusInterval: .seconds(60), readiness: readiness,
            status: { "serving" }, clock: clock, logger: Logger(label: "reporter-tests") { _ in SwiftLogNoOpLogHandler() }
        )
        readiness.markListening(address: "127.0.0.1:7420")
        readiness.markAdminSocketBound()
        let running = Task { try await reporter.run() }
        defer { running.cancel() }

        await clock.untilSleeping()
        #expect(receiver.drain() == ["READY=1\nSTATUS=serving", "WATCHDOG=1"])

        clock.advance(by: .milliseconds(14_999))
        await Task.yield()
        #expect(clock.sleeperCount == 1, "no wake before the watchdog interval")
        #expect(receiver.drain().isEmpty)

        var messages: [String] = []
        clock.advance(by: .milliseconds(1))
        await clock.untilSleeping()
        messages += receiver.drain()
        for _ in 0..<7 {
            clock.advance(by: .seconds(15))
            await clock.untilSleeping()
            messages += receiver.drain()
        }
        // Eight more intervals of 15 s: eight pings, and a status at 60 s and at 120 s.
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count == 8)
        #expect(messages.filter { $0 == "STATUS=serving" }.count == 2)
        #expect(messages.count == 10)
    }
}

extension ManualClock {
    /// Returns once a task sleeps on this clock (it went back to sleep after a wake).
    func untilSleeping() async {
        while sleeperCount == 0 { await Task.yield() }
    }
}
