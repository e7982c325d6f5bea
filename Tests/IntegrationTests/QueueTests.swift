import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Synchronization
import Testing

/// The server-side queue with the real daemon over TLS (protocol-spec.md 9a): a 1-seat
/// license, a holder, waiters of different priority and one that disconnects; the freed
/// seat is pushed to the right waiter, stored before it is pushed.
@Suite struct QueueTests {
    static let policy = """
        group leads lena
        priority 10 QUEUE group leads
        """

    func waitingAcquire(_ probe: ProtocolProbe, user: String) async throws -> ServerMessage {
        try await probe.request(.acquireOrWait(AcquireRequest(licenseKey: "QUEUE", user: user, hostname: "ws-\(user)", hardwareID: "hw-\(user)", clientVersion: "test")))
    }

    @Test func aReleasedSeatIsPushedToTheHighestPriorityWaiterStillConnected() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let policyFile = stateDirectory + "/site.policy"
        try Self.policy.write(toFile: policyFile, atomically: true, encoding: .utf8)
        let daemon = try await DaemonProcess.start(licenses: [TestLicense(key: "QUEUE", seats: 1)], stateDirectory: stateDirectory, settings: ["policy_file": policyFile])
        try await daemon.use { daemon in
            try await daemon.waitForLog(containing: "msg=\"policy file loaded\"")
            let holder = try await ProtocolProbe.client(daemon)
            let held = try #require(try await holder.acquire("QUEUE", user: "hana").grant)

            let early = try await ProtocolProbe.client(daemon)
            let gone = try await ProtocolProbe.client(daemon)
            let lead = try await ProtocolProbe.client(daemon)
            #expect(try await waitingAcquire(early, user: "eric") == .queued(QueuePlace(position: 1, waiting: 1, seatsTotal: 1, seatsInUse: 1)))
            #expect(try await waitingAcquire(gone, user: "gina") == .queued(QueuePlace(position: 2, waiting: 2, seatsTotal: 1, seatsInUse: 1)))
            // Higher priority: ahead of both, who are told they moved down.
            #expect(try await waitingAcquire(lead, user: "lena") == .queued(QueuePlace(position: 1, waiting: 3, seatsTotal: 1, seatsInUse: 1)))
            #expect(await early.nextPush() == .queuePosition(QueuePositionNotice(waitID: 2, place: QueuePlace(position: 2, waiting: 3, seatsTotal: 1, seatsInUse: 1))))
            #expect(await gone.nextPush() == .queuePosition(QueuePositionNotice(waitID: 2, place: QueuePlace(position: 3, waiting: 3, seatsTotal: 1, seatsInUse: 1))))

            // A plain acquire from a newcomer does not jump the queue.
            let newcomer = try await ProtocolProbe.client(daemon)
            #expect(try await newcomer.acquire("QUEUE", user: "nina").errorCode == .noSeats)

            let admin = try await ProtocolProbe.admin(daemon)
            let listed = try #require(try await admin.admin(["op": "queue"])["waiters"] as? [[String: Any]])
            #expect(listed.map { $0["user"] as? String } == ["lena", "eric", "gina"])
            #expect(listed.map { $0["position"] as? Int } == [1, 2, 3])
            #expect(listed.map { $0["priority"] as? Int } == [10, 0, 0])
            let socket = ["--admin-socket", try await daemon.adminSocket()]
            let table = try await SeatctlProcess.run(["queue", "--license", "QUEUE"] + socket, daemon: daemon)
            #expect(table.status == 0, "\(table.stderr)")
            let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(rows.first?.prefix(5) == ["LICENSE", "POSITION", "PRIORITY", "TENANT", "USER"])
            #expect(rows.dropFirst().map { Array($0.prefix(5)) } == [
                ["QUEUE", "1", "10", "default", "lena"], ["QUEUE", "2", "0", "default", "eric"], ["QUEUE", "3", "0", "default", "gina"],
            ])
            let json = try await SeatctlProcess.run(["queue", "--json"] + socket, daemon: daemon)
            let waiters = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])["waiters"] as? [[String: Any]]
            #expect(waiters?.map { $0["host"] as? String } == ["ws-lena", "ws-eric", "ws-gina"])
            let status = try await SeatctlProcess.run(["status", "--json"] + socket, daemon: daemon)
            let licenses = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])["licenses"] as? [[String: Any]]
            #expect(licenses?.first?["waiting"] as? Int == 3)

            // gina disconnects: she loses her place at once.
            await gone.close()
            try await waitUntil("gina's place is given up") {
                (try? await admin.admin(["op": "queue"])["waiters"] as? [[String: Any]])?.count == 2
            }

            #expect(try await holder.request(.release(held.token)) == .released(ReleaseResult(ended: true, seatsTotal: 1, seatsInUse: 0)))
            guard case .queueGranted(let granted) = await lead.nextPush(timeout: .seconds(20)) else {
                Issue.record("lena was not granted the seat")
                return
            }
            #expect(granted.waitID == 2)
            #expect(granted.grant.seatsInUse == 1 && !granted.grant.reattached)
            #expect(await early.nextPush() == .queuePosition(QueuePositionNotice(waitID: 2, place: QueuePlace(position: 1, waiting: 1, seatsTotal: 1, seatsInUse: 1))))
            // The pushed session is stored and live: it heartbeats like any other.
            guard case .heartbeatAccepted = try await lead.request(.heartbeat(granted.grant.token)) else {
                Issue.record("the pushed session does not heartbeat")
                return
            }
            let sessions = try #require(try await admin.admin(["op": "sessions"])["sessions"] as? [[String: Any]])
            #expect(sessions.map { $0["user"] as? String } == ["lena"])

            // Asking again keeps eric's place; lena's release gives him the seat.
            #expect(try await waitingAcquire(early, user: "eric") == .queued(QueuePlace(position: 1, waiting: 1, seatsTotal: 1, seatsInUse: 1)))
            // Another request id on the same connection: the place moved to it (request 3).
            #expect(await early.nextPush() == .waitEnded(WaitEndedNotice(waitID: 2, reason: .superseded, message: "the same user and workstation queued again")))
            _ = try await lead.request(.release(granted.grant.token))
            guard case .queueGranted(let second) = await early.nextPush(timeout: .seconds(20)) else {
                Issue.record("eric was not granted the seat")
                return
            }
            #expect(second.waitID == 3)
            for probe in [holder, early, lead, newcomer, admin] { await probe.close() }
        }
    }

    @Test func aWaitingLeaseQueuesAgainAfterTheServerRestartsAndGetsTheSeat() async throws {
        let stateDirectory = DaemonProcess.makeStateDirectory()
        let first = try await DaemonProcess.start(licenses: [TestLicense(key: "AGAIN", seats: 1)], stateDirectory: stateDirectory, settings: DaemonProcess.durable)
        let proxy = try await TCPProxy.start(targetPort: first.port)
        let holder = try await first.connect()
        let held = try await holder.acquire(licenseKey: "AGAIN", user: "hold", hostname: "h", hardwareID: "hold", clientVersion: "1")
        await holder.close()

        let places = Mutex<[QueuePlace]>([])
        let configuration = ShortLeases.configuration(port: proxy.port, daemon: first)
        let waiting = Task {
            try await SeatLease.acquire(
                SeatRequest(licenseKey: "AGAIN", user: "wait", hardwareID: "ws-wait"), configuration: configuration,
                options: LeaseOptions(backoff: ShortLeases.options.backoff, waitForSeat: .seconds(300))
            ) { place in places.withLock { $0.append(place) } }
        }
        try await waitUntil("queued") { places.withLock { $0.count } == 1 }

        // Waiters are not stored: the restarted server knows only the holder's session,
        // and the lease queues again by itself once it has reconnected.
        let slot = await first.killKeepingSlot()
        try await DaemonProcess.start(stateDirectory: stateDirectory, settings: DaemonProcess.durable, slot: slot).use { second in
            proxy.retarget(to: second.port)
            try await waitUntil("queued again on the restarted server") { places.withLock { $0.count } == 2 }
            #expect(places.withLock { $0 } == Array(repeating: QueuePlace(position: 1, waiting: 1, seatsTotal: 1, seatsInUse: 1), count: 2))
            let check = try await second.connect()
            _ = try await check.release(held.token)
            let lease = try await waiting.value
            #expect(lease.session != nil && lease.session != held.token)
            try await lease.release()
            #expect(try await check.validate(licenseKey: "AGAIN").seatsInUse == 0)
            await check.close()
            await proxy.stop()
        }
    }
}
