import NIOCore
import NIOTLS

/// Sits right behind `NIOSSLServerHandler` and counts connections whose TLS handshake
/// failed (wrong CA, old TLS version, plaintext, a port scanner). Passes everything on.
final class TLSHandshakeObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let metrics: SeatMetrics
    private var handshakeDone = false
    private var failureCounted = false

    init(metrics: SeatMetrics) {
        self.metrics = metrics
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if case .handshakeCompleted = event as? TLSUserEvent {
            handshakeDone = true
            // Nothing more to watch: leave the pipeline to the request path. Only after
            // passing the event on: a removed handler's context has no next handler.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeDone && !failureCounted {
            failureCounted = true
            metrics.tlsHandshakeFailures.increment()
        }
        context.fireErrorCaught(error)
    }
}
