import NIOCore
import NIOPosix
import Synchronization

/// A plain TCP connection to an in-process HTTP listener that sends raw bytes and
/// collects whatever comes back, and whether the server closed it: for the cases an HTTP
/// client hides (a request trickled in, a connection closed before any answer).
final class HTTPTestConnection: Sendable {
    private struct Received {
        var bytes: [UInt8] = []
        var closed = false
    }

    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private let received = Mutex(Received())

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.channel = channel
        Task { [self] in
            try? await channel.executeThenClose { inbound, _ in
                for try await chunk in inbound {
                    received.withLock { $0.bytes += chunk.readableBytesView }
                }
            }
            received.withLock { $0.closed = true }
        }
    }

    static func connect(port: Int) async throws -> HTTPTestConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return HTTPTestConnection(channel: channel)
    }

    func write(_ text: String) async throws {
        try await channel.channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Everything received so far, as text.
    var text: String { received.withLock { String(decoding: $0.bytes, as: UTF8.self) } }

    var isClosed: Bool { received.withLock { $0.closed } }

    func close() async {
        try? await channel.channel.close()
    }

    /// Polls every 20 ms until `condition` holds; false if `timeout` passes first.
    func wait(timeout: Duration = .seconds(20), until condition: (HTTPTestConnection) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
