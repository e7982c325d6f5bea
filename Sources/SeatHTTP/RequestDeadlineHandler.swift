import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request is not answered within `limit` of its start: the
/// connection's opening, or the end of the previous response. Unlike an idle timer, bytes
/// trickled in do not extend it, so a slow client cannot hold a connection (and its
/// descriptor) for longer than `limit`. Sits after Hummingbird's HTTP/1 decoding
/// (`HTTP1Channel.Configuration.additionalChannelHandlers`); one per connection.
public final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private let limit: TimeAmount
    private var deadline: Scheduled<Void>?

    public init(limit: TimeAmount) {
        self.limit = limit
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        if deadline == nil { arm(context: context) }
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            // The next request on a kept-alive connection gets a full `limit` of its own.
            arm(context: context)
        }
        context.write(data, promise: promise)
    }

    private func arm(context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: limit) {
            loopBound.value.close(promise: nil)
        }
    }
}

extension HTTP1Channel.Configuration {
    /// Every request answered within `limit` of its start, else the connection is closed.
    public static func requestDeadline(_ limit: TimeAmount) -> Self {
        .init(additionalChannelHandlers: [RequestDeadlineHandler(limit: limit)])
    }
}
