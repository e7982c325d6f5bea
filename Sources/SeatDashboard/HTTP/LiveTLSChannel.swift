import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// TLS in front of each dashboard connection with the context `context()` gives at accept
/// time: seatd's server context, so a SIGHUP that reloads the certificate reaches the
/// dashboard's next connection as it reaches the seat protocol's.
struct LiveTLSChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let context: @Sendable () -> NIOSSLContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context()))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1, idle connections closed after a minute.
    static let dashboardHTTP = HTTP1Channel.Configuration(idleTimeout: .seconds(60))

    /// HTTP/1.1 over TLS with the context `context()` gives at each accept.
    static func http1(tls context: @escaping @Sendable () -> NIOSSLContext) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            LiveTLSChannel(base: HTTP1Channel(responder: responder, configuration: dashboardHTTP), context: context)
        }
    }
}
