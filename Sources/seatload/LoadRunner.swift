import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SeatClient
import SeatLoadKit
import SeatProtocol

/// Opens the connections (bounded number of handshakes in flight), runs them for a set
/// time with a progress line, stops them, and merges what every event loop measured.
struct LoadRunner {
    struct Target {
        var host: String
        var port: Int
        var caFile: String
        var perSourceAddress: Int
        var connectWindow: Int
        /// Presented by every connection after Hello; nil connects anonymously.
        var accessKey: String?
    }

    let target: Target
    let group: MultiThreadedEventLoopGroup
    let workers: [LoadWorker]
    let tls: NIOSSLContext

    init(target: Target, threads: Int) throws {
        self.target = target
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        var seeds = SystemRandomNumberGenerator()
        workers = group.makeIterator().map { LoadWorker(eventLoop: $0, seed: seeds.next()) }
        tls = try SeatClientConfiguration.makeTLSContext(trustRootsFile: target.caFile)
    }

    func shutdown() async {
        try? await group.shutdownGracefully()
    }

    /// Opens `count` connections; `work(i)` says what connection i does. Returns the channels
    /// and the number that failed to connect (each failure is also printed once per kind).
    func connect(count: Int, work: @escaping @Sendable (Int) -> LoadConnectionHandler.Work) async throws -> (channels: [any Channel], failed: Int, seconds: Double) {
        let sources = try SourceAddresses(host: target.host, connections: count, perAddress: target.perSourceAddress)
        let started = Date()
        var channels: [any Channel] = []
        channels.reserveCapacity(count)
        var failed = 0
        var firstFailure: String?
        let window = max(1, target.connectWindow)
        try await withThrowingTaskGroup(of: Result<any Channel, any Error>.self) { group in
            var next = 0
            func addOne() {
                let index = next
                next += 1
                let worker = workers[index % workers.count]
                group.addTask { await openOne(index: index, worker: worker, local: sources.address(for: index), work: work(index)) }
            }
            while next < min(window, count) { addOne() }
            while let result = try await group.next() {
                switch result {
                case .success(let channel): channels.append(channel)
                case .failure(let error):
                    failed += 1
                    if firstFailure == nil {
                        firstFailure = "\(error)"
                        FileHandle.standardError.write(Data("seatload: connect failed: \(error)\n".utf8))
                    }
                }
                if next < count { addOne() }
                if (channels.count + failed) % 10_000 == 0 && count >= 20_000 {
                    FileHandle.standardError.write(Data("seatload: \(channels.count) connected, \(failed) failed, \(String(format: "%.1f", Date().timeIntervalSince(started))) s\n".utf8))
                }
            }
        }
        return (channels, failed, Date().timeIntervalSince(started))
    }

    private func openOne(index: Int, worker: LoadWorker, local: SocketAddress?, work: LoadConnectionHandler.Work) async -> Result<any Channel, any Error> {
        let tls = self.tls
        let accessKey = target.accessKey
        let ready = worker.eventLoop.makePromise(of: Void.self)
        var bootstrap = ClientBootstrap(group: worker.eventLoop)
            .connectTimeout(.seconds(30))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                    try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrameBytes: WireConstants.defaultMaximumFrameBytes)))
                    try pipeline.addHandler(LoadConnectionHandler(worker: worker, work: work, ready: ready, accessKey: accessKey))
                }
            }
        if let local { bootstrap = bootstrap.bind(to: local) }
        do {
            let channel = try await bootstrap.connect(host: target.host, port: target.port).get()
            do {
                try await ready.futureResult.get()
            } catch {
                try? await channel.close()
                return .failure(error)
            }
            return .success(channel)
        } catch {
            ready.fail(error)
            return .failure(error)
        }
    }

    /// Runs every registered connection for `seconds` (closed or open loop), printing a
    /// progress line each second; waits for transactions in flight to finish.
    func run(pacing: LoadWorker.Pacing, seconds: Double, progress: Bool) async throws -> (LoadRecorder, Double) {
        let start = Date()
        for worker in workers {
            try await worker.eventLoop.submit { worker.go(pacing: pacing) }.get()
        }
        var lastOps = 0
        var lastTime = start
        let deadline = start.addingTimeInterval(seconds)
        while Date() < deadline {
            try await Task.sleep(for: .milliseconds(Int(min(1.0, max(0.01, deadline.timeIntervalSinceNow)) * 1000)))
            var ops = 0
            var errors = 0
            for worker in workers {
                let (o, e) = try await worker.eventLoop.submit { () -> (Int, Int) in
                    worker.checkTimeouts()
                    return (worker.recorder.operationCount, worker.recorder.errorCount)
                }.get()
                ops += o
                errors += e
            }
            let now = Date()
            if progress {
                let rate = Double(ops - lastOps) / max(0.001, now.timeIntervalSince(lastTime))
                FileHandle.standardError.write(Data(String(format: "[%6.1fs] %9.0f ops/s  total %d  errors %d\n", now.timeIntervalSince(start), rate, ops, errors).utf8))
            }
            lastOps = ops
            lastTime = now
        }
        for worker in workers {
            try await worker.eventLoop.submit { worker.stop() }.get()
        }
        // In-flight transactions finish (bounded by the request timeout).
        try await waitUntilIdle(until: Date().addingTimeInterval(20), polling: .milliseconds(5))
        let elapsed = Date().timeIntervalSince(start)
        var merged = LoadRecorder()
        for worker in workers {
            merged.merge(try await worker.eventLoop.submit { worker.recorder }.get())
        }
        return (merged, elapsed)
    }

    /// Polls the workers (expiring timed-out requests) until none has a transaction in
    /// flight, or the deadline passes.
    private func waitUntilIdle(until deadline: Date, polling interval: Duration) async throws {
        while Date() < deadline {
            var active = 0
            for worker in workers {
                active += try await worker.eventLoop.submit { () -> Int in
                    worker.checkTimeouts()
                    return worker.active
                }.get()
            }
            if active == 0 { return }
            try await Task.sleep(for: interval)
        }
    }

    /// Preload: every connection acquires its share of `keys`, closed loop, until done.
    func runToCompletion(timeoutSeconds: Double) async throws -> (LoadRecorder, Double) {
        let start = Date()
        for worker in workers {
            try await worker.eventLoop.submit { worker.go(pacing: .closed) }.get()
        }
        try await waitUntilIdle(until: start.addingTimeInterval(timeoutSeconds), polling: .milliseconds(20))
        var merged = LoadRecorder()
        for worker in workers {
            merged.merge(try await worker.eventLoop.submit { () -> LoadRecorder in
                worker.stop()
                return worker.recorder
            }.get())
        }
        return (merged, Date().timeIntervalSince(start))
    }

    func close(_ channels: [any Channel]) async {
        for chunk in stride(from: 0, to: channels.count, by: 1000) {
            let futures = channels[chunk..<min(chunk + 1000, channels.count)].map { $0.close() }
            for future in futures { try? await future.get() }
        }
    }
}
