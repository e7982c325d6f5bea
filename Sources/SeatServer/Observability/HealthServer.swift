import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A small HTTP/1.1 listener for operators and monitoring (loopback by default):
/// `/healthz` (the process is up and answering), `/readyz` (storage open, client
/// listener bound, not shutting down; 503 otherwise) and `/metrics` (Prometheus text).
///
/// Probes and scrapers need few connections, so it accepts at most `maximumConnections`
/// at once (more are closed at once) and gives every request `requestTimeout` to be
/// answered: it can never take the descriptors the client port and the store need.
final class HealthServer: Service {
    static let maximumConnections = 32
    static let requestTimeout = TimeAmount.seconds(10)

    private let host: String
    private let port: Int
    private let readiness: Readiness
    private let metrics: @Sendable () async -> [UInt8]
    private let logger: Logger

    init(host: String, port: Int, readiness: Readiness, metrics: @escaping @Sendable () async -> [UInt8], logger: Logger) {
        self.host = host
        self.port = port
        self.readiness = readiness
        self.metrics = metrics
        self.logger = logger
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    func run() async throws {
        let limiter = ConnectionLimiter(limit: Self.maximumConnections)
        let logger = self.logger
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard limiter.tryAcquire() else {
                        logger.debug("health connection refused: limit reached", metadata: ["limit": "\(Self.maximumConnections)"])
                        // A failed initializer alone leaves the socket open and unread.
                        channel.close(promise: nil)
                        throw ConnectionLimitReached()
                    }
                    channel.closeFuture.whenComplete { _ in limiter.release() }
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                    try pipeline.addHandler(HTTPRequestDeadlineHandler(limit: Self.requestTimeout))
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        if let address = listener.channel.localAddress {
            logger.notice("health and metrics listening", metadata: ["address": "\(address.ipAddress ?? host):\(address.port ?? port)"])
        }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var request: HTTPRequestHead?
            for try await part in inbound.cancelOnGracefulShutdown() {
                switch part {
                case .head(let head):
                    request = head
                case .body:
                    continue
                case .end:
                    guard let head = request else { return }
                    request = nil
                    let (status, contentType, body) = await respond(to: head)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: contentType)
                    headers.add(name: "Content-Length", value: String(body.count))
                    headers.add(name: "Connection", value: head.isKeepAlive ? "keep-alive" : "close")
                    try await outbound.write(.head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
                    if head.method != .HEAD {
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                    }
                    try await outbound.write(.end(nil))
                    if !head.isKeepAlive { return }
                }
            }
        }
    }

    private func respond(to head: HTTPRequestHead) async -> (HTTPResponseStatus, String, [UInt8]) {
        guard head.method == .GET || head.method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", Array("only GET and HEAD\n".utf8))
        }
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        switch path {
        case "/healthz":
            return (.ok, "text/plain; charset=utf-8", Array("ok\n".utf8))
        case "/readyz":
            if let reason = readiness.notReadyReason {
                return (.serviceUnavailable, "text/plain; charset=utf-8", Array("not ready: \(reason)\n".utf8))
            }
            return (.ok, "text/plain; charset=utf-8", Array("ready\n".utf8))
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", await metrics())
        default:
            return (.notFound, "text/plain; charset=utf-8", Array("not found; try /healthz, /readyz or /metrics\n".utf8))
        }
    }
}
