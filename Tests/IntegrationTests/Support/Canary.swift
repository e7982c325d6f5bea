import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SeatCore
import SeatProtocol
import Synchronization

/// A well-behaved client kept running while a test attacks the daemon: its own TLS
/// connection, (optionally) authenticated, acquiring a seat and then heartbeating it and
/// acquiring it again (a re-attach) in a loop, timing every request. The attack tests
/// require every one of its requests to succeed within a bound.
final class Canary: Sendable {
    struct Report: CustomStringConvertible {
        var requests: Int
        var failures: [String]
        var p99: Duration
        var maximum: Duration

        var description: String {
            "canary: \(requests) requests, p99 \(Self.milliseconds(p99)) ms, max \(Self.milliseconds(maximum)) ms, \(failures.count) failures \(failures.prefix(3))"
        }

        static func milliseconds(_ duration: Duration) -> String {
            String(format: "%.1f", Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
        }
    }

    private struct State {
        var durations: [Duration] = []
        var failures: [String] = []
    }
    private let state = Mutex(State())
    private let stopping = Atomic(false)
    private let loop = Mutex<Task<Void, Never>?>(nil)

    /// Connects (and authenticates with `accessKey`), takes a seat of `license`, then loops
    /// until `stop`. Requests are paced 20 ms apart so the canary measures the daemon, not
    /// its own load.
    static func start(_ daemon: DaemonProcess, license: String, accessKey: String? = nil) async throws -> Canary {
        let canary = Canary()
        let probe = try await ProtocolProbe.client(daemon, accessKey: accessKey)
        let acquire = ClientMessage.acquire(AcquireRequest(licenseKey: license, user: "canary", hostname: "canary-ws", hardwareID: "hw-canary", clientVersion: "test"))
        guard case .acquired(let grant) = try await probe.request(acquire) else { throw ProbeError("the canary got no seat") }
        let task = Task {
            var round = 0
            while !canary.stopping.load(ordering: .relaxed) {
                round += 1
                await canary.timed(round.isMultiple(of: 2) ? acquire : .heartbeat(grant.token), on: probe)
                try? await Task.sleep(for: .milliseconds(20))
            }
            await probe.close()
        }
        canary.loop.withLock { $0 = task }
        return canary
    }

    private func timed(_ message: ClientMessage, on probe: ProtocolProbe) async {
        let began = ContinuousClock.now
        let outcome: String?
        do {
            switch try await probe.request(message, timeout: .seconds(30)) {
            case .acquired, .heartbeatAccepted: outcome = nil
            case let other: outcome = "unexpected reply \(other)"
            }
        } catch {
            outcome = "\(error)"
        }
        let took = ContinuousClock.now - began
        state.withLock { state in
            state.durations.append(took)
            if let outcome { state.failures.append(outcome) }
        }
        if outcome != nil { try? await Task.sleep(for: .milliseconds(200)) }  // a dead connection must not spin
    }

    /// Requests answered so far.
    var requests: Int { state.withLock { $0.durations.count } }

    func stop() async -> Report {
        stopping.store(true, ordering: .relaxed)
        await loop.withLock { $0 }?.value
        return state.withLock { state in
            let sorted = state.durations.sorted()
            let p99 = sorted.isEmpty ? .zero : sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
            return Report(requests: sorted.count, failures: state.failures, p99: p99, maximum: sorted.last ?? .zero)
        }
    }
}

/// A TLS client that says Hello and then writes frames as fast as the daemon takes them,
/// never reading a reply: its inbound side is never iterated, so once NIOAsyncChannel's
/// small inbound buffer is full it stops reading, and the daemon's replies back up.
final class NonReadingClient: Sendable {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private let written = Atomic(0)
    private let task = Mutex<Task<Void, Never>?>(nil)

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.channel = channel
    }

    /// Bytes the daemon (or the kernel's buffers on its behalf) has taken so far.
    var bytesWritten: Int { written.load(ordering: .relaxed) }

    static func connect(_ daemon: DaemonProcess) async throws -> NonReadingClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(daemon.caFile))
        // Its writes are stuck, so its close_notify is too: do not wait the default 5 s for it.
        tls.shutdownTimeout = .milliseconds(100)
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: daemon.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return NonReadingClient(channel: channel)
    }

    /// Says Hello, then writes `frame` over and over until the daemon takes no more.
    /// Separate from `connect`, so that a test can connect every attacker before the
    /// flood loads the machine (a connect starved of CPU would time out).
    func flood(_ frame: ClientFrame) {
        let channel = self.channel
        let client = self
        var frames = ByteBuffer()
        for id in 1...200 { ClientFrame(requestID: UInt32(id), message: frame.message).encode(into: &frames) }
        var greeting = ByteBuffer()
        ClientFrame.hello().encode(into: &greeting)
        let (burst, hello) = (frames, greeting)
        let task = Task<Void, Never> {
            // Each write awaits its completion (the bytes are in the socket), so the client
            // itself buffers one burst at most, and waits for good once the daemon stopped
            // reading and the kernel's buffers are full. `close` ends the wait.
            do {
                try await channel.channel.writeAndFlush(hello)
                while !Task.isCancelled {
                    try await channel.channel.writeAndFlush(burst)
                    client.written.add(burst.readableBytes, ordering: .relaxed)
                }
            } catch {}
        }
        self.task.withLock { $0 = task }
    }

    func close() async {
        task.withLock { $0 }?.cancel()
        try? await channel.channel.close()
        await task.withLock { $0 }?.value
    }
}

/// The daemon process as /proc shows it.
enum ProcessStatus {
    /// Resident set size in bytes (VmRSS).
    static func residentBytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw ProbeError("no VmRSS for \(pid)")
        }
        return kilobytes * 1024
    }

    /// User plus system CPU time used so far, in clock ticks (1/100 s on Linux).
    static func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces) in parentheses.
        guard let close = stat.lastIndex(of: ")") else { throw ProbeError("bad stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { throw ProbeError("bad stat") }
        return user + system
    }

    /// Open file descriptors.
    static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }
}
