import NIOCore
import Synchronization

/// Keeps the first error the pipeline reports (e.g. the TLS handshake's), so a connect
/// that then fails with "I/O on closed channel" can say what closed it.
final class FirstErrorRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    private let first = Mutex<(any Error)?>(nil)

    var error: (any Error)? { first.withLock { $0 } }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        first.withLock { if $0 == nil { $0 = error } }
        context.fireErrorCaught(error)
    }
}
