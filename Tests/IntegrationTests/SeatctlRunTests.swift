import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// `seatctl run -- <command>`, the real binary against the real daemon.
@Suite struct SeatctlRunTests {
    @Test func runHoldsTheSeatPassesTheExitStatusThroughAndReleases() async throws {
        try await withDaemon(licenses: [TestLicense(key: "RUN", seats: 1)]) { daemon in
            let check = try await daemon.connect()
            let run = try SeatctlProcess.start(["run", "--license", "RUN", "--user", "hank", "--", "/bin/sh", "-c", "echo started; sleep 1; exit 7"], daemon: daemon)
            try await waitUntil("the command started") { run.stdout.contains("started") }
            #expect(try await check.validate(licenseKey: "RUN").seatsInUse == 1)
            #expect(try await run.waitForExit() == 7)
            // The default lease is 6 minutes: only a release frees the seat this soon.
            #expect(try await check.validate(licenseKey: "RUN").seatsInUse == 0)

            let killed = try await SeatctlProcess.run(["run", "--license", "RUN", "--", "/bin/sh", "-c", "kill -KILL $$"], daemon: daemon)
            #expect(killed.status == 128 + SIGKILL)
            let missing = try await SeatctlProcess.run(["run", "--license", "RUN", "--", "/nonexistent/command"], daemon: daemon)
            #expect(missing.status == 127)
            #expect(missing.stderr.contains("cannot run /nonexistent/command"))
            #expect(try await check.validate(licenseKey: "RUN").seatsInUse == 0)
            await check.close()
        }
    }

    @Test func sigtermIsForwardedToTheCommand() async throws {
        try await withDaemon(licenses: [TestLicense(key: "SIG", seats: 1)]) { daemon in
            let run = try SeatctlProcess.start(["run", "--license", "SIG", "--", "/bin/sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done"], daemon: daemon)
            try await waitUntil("the command is ready") { run.stdout.contains("ready") }
            run.signal(SIGTERM)
            #expect(try await run.waitForExit() == 42)
            let check = try await daemon.connect()
            #expect(try await check.validate(licenseKey: "SIG").seatsInUse == 0)
            await check.close()
        }
    }

    @Test func noFreeSeatExitsWithThreeAndSaysSo() async throws {
        try await withDaemon(licenses: [TestLicense(key: "FULL", seats: 1)]) { daemon in
            let holder = try await daemon.connect()
            _ = try await holder.acquire(licenseKey: "FULL", user: "ida", hostname: "h", hardwareID: "other", clientVersion: "1")
            let result = try await SeatctlProcess.run(["run", "--license", "FULL", "--user", "jack", "--", "/bin/true"], daemon: daemon)
            #expect(result.status == 3)
            #expect(result.stderr.contains("all 1 seats are in use"))
            #expect(result.stderr.contains("seats_in_use: 1"))
            #expect(result.stderr.contains("next_free_at: "))
            #expect(result.stderr.contains("--wait"))
            await holder.close()
        }
    }

    @Test func waitAcquiresOnceASeatFrees() async throws {
        try await withDaemon(licenses: [TestLicense(key: "QUEUE", seats: 1)]) { daemon in
            let holder = try await daemon.connect()
            let held = try await holder.acquire(licenseKey: "QUEUE", user: "kim", hostname: "h", hardwareID: "other", clientVersion: "1")
            let started = ContinuousClock.now
            let run = try SeatctlProcess.start(["run", "--license", "QUEUE", "--user", "lee", "--wait", "300", "--", "/bin/sh", "-c", "exit 0"], daemon: daemon)
            // An absence (no seat, so no exit) takes a fixed wait to show; slowness cannot fake it.
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(run.isRunning, "waits while the seat is taken")
            _ = try await holder.release(held.token)
            #expect(try await run.waitForExit() == 0)
            #expect(ContinuousClock.now - started < .seconds(120), "acquired after the release, long before --wait ran out")
            #expect(try await holder.validate(licenseKey: "QUEUE").seatsInUse == 0)
            await holder.close()
        }
    }

    @Test func waitQueuesOnTheServerAndGetsTheSeatPushed() async throws {
        try await withDaemon(licenses: [TestLicense(key: "LINE", seats: 1)]) { daemon in
            let holder = try await daemon.connect()
            let held = try await holder.acquire(licenseKey: "LINE", user: "kim", hostname: "h", hardwareID: "other", clientVersion: "1")
            let run = try SeatctlProcess.start(["run", "--license", "LINE", "--user", "lee", "--wait", "300", "--", "/bin/sh", "-c", "echo started; exit 0"], daemon: daemon)
            try await waitUntil("seatctl says it waits in the queue") { run.stderr.contains("position 1 of 1 in the queue (1 of 1 seats in use)") }
            let admin = try await ProtocolProbe.admin(daemon)
            let waiters = try #require(try await admin.admin(["op": "queue", "license": "LINE"])["waiters"] as? [[String: Any]])
            #expect(waiters.map { $0["user"] as? String } == ["lee"], "it waits in the server's queue, not polling")
            // A newcomer does not take the seat lee waits for.
            let newcomer = await #expect(throws: ErrorReply.self) {
                try await holder.acquire(licenseKey: "LINE", user: "max", hostname: "h", hardwareID: "max", clientVersion: "1")
            }
            #expect(newcomer?.code == .noSeats)
            _ = try await holder.release(held.token)
            #expect(try await run.waitForExit() == 0)
            #expect(run.stdout.contains("started"))
            #expect(try await holder.validate(licenseKey: "LINE").seatsInUse == 0)
            await admin.close()
            await holder.close()
        }
    }

    @Test func stopOnLossTerminatesTheCommandThenKillsItAfterTheGrace() async throws {
        let licenses = [TestLicense(key: "LOSS", seats: 1), TestLicense(key: "KEPT", seats: 1)]
        try await withDaemon(licenses: licenses, settings: ShortLeases.settings) { daemon in
            // The command ignores SIGTERM, so only the SIGKILL after --grace ends it.
            let run = try SeatctlProcess.start(["run", "--license", "LOSS", "--stop-on-loss", "--grace", "0.5", "--", "/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"], daemon: daemon)
            try await waitUntil("the command is ready") { run.stdout.contains("ready") }
            try TestLicense.write([TestLicense(key: "KEPT", seats: 1)], to: daemon.licensesFile)
            daemon.signal(SIGHUP)
            #expect(try await run.waitForExit(timeout: .seconds(15)) == 128 + SIGKILL)
            // Learned from the server's SessionRevoked push (its message), not from a heartbeat.
            #expect(run.stderr.contains("the seat was lost (the license LOSS was removed by an administrator); stopping the command"))
        }
    }
}
