import NIOCore
import SeatProtocol

/// Numbers outgoing requests and completes each one's promise when the reply with its id
/// arrives, and hands server-initiated notices (request id 0) to the connection's
/// listeners without touching pending requests. Runs on the channel's event loop only.
final class ResponseRouter: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = ClientFrame

    struct PendingRequest: Sendable {
        var message: ClientMessage
        var promise: EventLoopPromise<ServerMessage>
        var timeout: TimeAmount
    }

    private var nextRequestID: UInt32 = 1
    private var pending: [UInt32: (promise: EventLoopPromise<ServerMessage>, timeout: Scheduled<Void>)] = [:]
    private var closedError: (any Error)?
    /// Where SessionRevoked notices go; finished when the channel closes.
    private let revocations: AsyncStream<SessionRevokedNotice>.Continuation
    /// Where news of waiting acquires goes (protocol-spec.md 9a); finished when the channel closes.
    private let queueNews: AsyncStream<QueueNews>.Continuation

    init(revocations: AsyncStream<SessionRevokedNotice>.Continuation, queueNews: AsyncStream<QueueNews>.Continuation) {
        self.revocations = revocations
        self.queueNews = queueNews
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let closedError {
            request.promise.fail(closedError)
            promise?.fail(closedError)
            return
        }
        let requestID = nextRequestID
        // Id 0 is reserved for server-initiated messages.
        nextRequestID = nextRequestID == UInt32.max ? 1 : nextRequestID + 1
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let timeout = context.eventLoop.scheduleTask(in: request.timeout) {
            loopBoundSelf.value.complete(requestID, with: .failure(SeatClientError.timedOut))
        }
        pending[requestID] = (request.promise, timeout)
        context.write(wrapOutboundOut(ClientFrame(requestID: requestID, message: request.message)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame: ServerFrame
        do {
            frame = try ServerFrame(decoding: unwrapInboundIn(data))
        } catch where error.code == .unknownMessageType && error.requestID == WireConstants.serverPushRequestID {
            // A notification a later protocol version added (protocol-spec.md 5.4).
            return
        } catch {
            failAll(error)
            context.close(promise: nil)
            return
        }
        if frame.requestID == WireConstants.serverPushRequestID {
            switch frame.message {
            case .error(let reply):
                // A connection-level error (frameTooLarge, idleTimeout, ...): the server closes.
                failAll(reply)
            case .sessionRevoked(let notice):
                revocations.yield(notice)
            case .queuePosition(let notice):
                queueNews.yield(.moved(notice))
            case .queueGranted(let notice):
                queueNews.yield(.granted(notice))
            case .waitEnded(let notice):
                queueNews.yield(.ended(notice))
            default:
                // protocol-spec.md 5.4: ignore other pushes, so later versions can add some.
                break
            }
            return
        }
        complete(frame.requestID, with: .success(frame.message))
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(SeatClientError.connectionClosed)
        revocations.finish()
        queueNews.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func complete(_ requestID: UInt32, with result: Result<ServerMessage, any Error>) {
        guard let entry = pending.removeValue(forKey: requestID) else { return }
        entry.timeout.cancel()
        entry.promise.completeWith(result)
    }

    private func failAll(_ error: any Error) {
        if closedError == nil { closedError = error }
        let entries = pending
        pending.removeAll()
        for entry in entries.values {
            entry.timeout.cancel()
            entry.promise.fail(error)
        }
    }
}
