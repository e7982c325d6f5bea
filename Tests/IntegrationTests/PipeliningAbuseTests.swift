import Foundation
import Glibc
import SeatProtocol
import Testing

/// Pipelining clients that never read, against the real daemon, with the canary of
/// `ConnectionAbuseTests` (a suite of its own so it overlaps with the lighter attacks
/// there; its two cases run one after the other, each the only flood at its time).
@Suite(.serialized) struct PipeliningAbuseTests {
    // MARK: (1) Pipelining without reading

    /// `anonymous`: Validates go to the seat service one at a time. Otherwise the attackers
    /// never authenticate and their Acquires are answered `authenticationRequired` at once,
    /// without the service: the same budget must hold for those answers (the authentication
    /// timeout is raised so the attack outlasts the measurement).
    ///
    /// Each attacker's kernel buffers hold megabytes of requests, and seatd answers them
    /// all (it cannot tell them from a fast client's), so the daemon is busy while they
    /// last; what must hold is that a read is a small turn of the event loop, so the
    /// canary and a newcomer are served throughout, that memory stays bounded, and that
    /// the work ends with the connections.
    @Test(arguments: [true, false])
    func pipeliningClientsThatNeverReadShareTheLoopAndStopCostingWhenTheyClose(anonymous: Bool) async throws {
        let attackers = 10
        let settings = anonymous ? [:] : ["anonymous_tenant": "", "authentication_timeout_seconds": "300"]
        let request: ClientMessage = anonymous
            ? .validate(licenseKey: "L")
            : .acquire(AcquireRequest(licenseKey: "L", user: "mallory", hostname: "h", hardwareID: "hw", clientVersion: "1"))
        try await withDaemon(licenses: anonymous ? [TestLicense(key: "L", seats: 4)] : ConnectionAbuseTests.licenses, settings: settings) { daemon in
            let pid = daemon.processIdentifier
            var key: String?
            if !anonymous {
                let admin = try await ProtocolProbe.admin(daemon)
                key = try #require(try await admin.admin(["op": "key.create", "tenant": "acme"])["secret"] as? String)
                await admin.close()
            }
            let canary = try await Canary.start(daemon, license: "L", accessKey: key)
            try await waitUntil("the canary to run") { canary.requests >= 5 }
            let before = try ProcessStatus.residentBytes(pid)
            let baseline = try await ConnectionAbuseTests.cpuShare(pid)
            var clients: [NonReadingClient] = []
            for _ in 0..<attackers {
                clients.append(try await NonReadingClient.connect(daemon))
            }
            for client in clients { client.flood(ClientFrame(requestID: 1, message: request)) }
            // The attack in full swing: a hundred canary requests while it runs.
            let served = canary.requests
            try await waitUntil("the canary to make 100 requests during the attack", timeout: .seconds(120)) {
                canary.requests >= served + 100
            }
            let began = ContinuousClock.now
            let newcomer = try await ProtocolProbe.client(daemon, accessKey: key)
            #expect(try await newcomer.request(.validate(licenseKey: "L")).errorCode == nil)
            let newcomerTook = ContinuousClock.now - began
            await newcomer.close()
            let during = try ProcessStatus.residentBytes(pid)
            let taken = clients.map(\.bytesWritten).reduce(0, +)
            for client in clients { await client.close() }
            // Their requests still queued are dropped with the connections.
            let closed = ContinuousClock.now
            var busy = 1.0
            try await waitUntil("the daemon to be idle again", timeout: .seconds(60)) {
                busy = try await ConnectionAbuseTests.cpuShare(pid)
                return busy - baseline < 0.25
            }
            let idleAfter = ContinuousClock.now - closed
            let report = await canary.stop()
            let perConnection = max(0, during - before) / attackers
            print("pipelining (\(anonymous ? "anonymous, dispatched" : "unauthenticated, refused at once")): \(attackers) non-reading connections took \(taken / 1_000_000) MB of requests; RSS \(before / 1_000_000) -> \(during / 1_000_000) MB, \(perConnection / 1024) KiB per connection; a newcomer served in \(Canary.Report.milliseconds(newcomerTook)) ms; idle \(idleAfter) after they closed (\(Int(busy * 100)) %, canary alone \(Int(baseline * 100)) %)")
            ConnectionAbuseTests.expectServed(report)
            #expect(newcomerTook < ConnectionAbuseTests.canaryBound, "a new connection during the attack: TLS handshake, Hello, a request")
            // A connection's share: its 64 KiB reply budget, TLS buffers, a few frames held.
            #expect(perConnection < 1 << 20, "RSS growth per non-reading connection")
        }
    }
}
