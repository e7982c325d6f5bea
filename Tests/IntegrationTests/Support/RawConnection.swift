import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SeatProtocol
import Synchronization

/// A connection that sends arbitrary bytes (over TLS, or plaintext) and reads whatever
/// comes back, for feeding the server malformed input.
final class RawConnection: Sendable {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private let events = EventLog()

    enum RawEvent: Sendable, Equatable {
        case frame(ServerFrame)
        case undecodable
        case closed
    }

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.channel = channel
        Task { [events] in
            var pending = ByteBuffer()
            try? await channel.executeThenClose { inbound, _ in
                for try await var chunk in inbound {
                    pending.writeBuffer(&chunk)
                    while let length = pending.getInteger(at: pending.readerIndex, as: UInt32.self),
                          pending.readableBytes >= 4 + Int(length) {
                        pending.moveReaderIndex(forwardBy: 4)
                        let body = pending.readSlice(length: Int(length))!
                        let event: RawEvent = (try? ServerFrame(decoding: body)).map { .frame($0) } ?? .undecodable
                        events.append(event)
                    }
                }
            }
            events.append(.closed)
        }
    }

    static func connect(port: Int, caFile: String?) async throws -> RawConnection {
        let tlsContext: NIOSSLContext? = try caFile.map { caFile in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            return try NIOSSLContext(configuration: tls)
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: "localhost"))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }

    /// A plain connection to a Unix-domain socket (the admin socket).
    static func connect(unixSocketPath path: String) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func write(_ frame: ClientFrame) async throws {
        var buffer = ByteBuffer()
        frame.encode(into: &buffer)
        try await channel.channel.writeAndFlush(buffer)
    }

    /// Half-closes the sending side (the server sees EOF).
    func finishWriting() async throws {
        try await channel.channel.close(mode: .output)
    }

    /// The next thing the server did: a frame, undecodable bytes, or closing the connection;
    /// nil if nothing happened within `timeout`.
    func next(timeout: Duration = .seconds(30)) async -> RawEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let event = events.takeFirst() { return event }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func close() async {
        try? await channel.channel.close()
    }
}

/// What the server sent, in order, for `next(timeout:)` to hand out.
private final class EventLog: Sendable {
    private let events = Mutex<[RawConnection.RawEvent]>([])

    func append(_ event: RawConnection.RawEvent) {
        events.withLock { $0.append(event) }
    }

    func takeFirst() -> RawConnection.RawEvent? {
        events.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

extension ClientFrame {
    static func hello(id: UInt32 = 1, minimum: UInt16 = 1, maximum: UInt16 = 1) -> ClientFrame {
        ClientFrame(requestID: id, message: .hello(Hello(minimumVersion: minimum, maximumVersion: maximum, clientName: "raw")))
    }
}
