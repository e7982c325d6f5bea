import NIOCore
import SeatProtocol

/// Closes connections that hold a slot without talking: one that has not completed TLS
/// and sent its first frame within the handshake timeout (a silent or slow client), and
/// one that sent nothing for the idle timeout (reported by the `IdleStateHandler` in
/// front of it). An idle close is announced with an `idleTimeout` error frame.
final class ConnectionDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let handshakeTimeout: TimeAmount
    private var handshakeDeadline: Scheduled<Void>?

    init(handshakeTimeout: TimeAmount) {
        self.handshakeTimeout = handshakeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        handshakeDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) {
            Self.closeWithError(context: loopBoundContext.value, message: "no Hello within the handshake timeout")
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeDeadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let deadline = handshakeDeadline {
            deadline.cancel()
            handshakeDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeDeadline?.cancel()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            Self.closeWithError(context: context, message: "connection idle for too long")
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private static func closeWithError(context: ChannelHandlerContext, message: String) {
        let frame = ServerFrame(requestID: WireConstants.serverPushRequestID, message: .error(ErrorReply(code: .idleTimeout, message: message)))
        context.writeAndFlush(NIOAny(frame), promise: nil)
        context.close(promise: nil)
    }
}
