import NIOCore
import NIOEmbedded
import NIOTLS
@testable import SeatServer
import Testing

/// The observer counts failed handshakes and leaves the pipeline once one succeeds; the
/// handlers behind it must still hear of the handshake (the connection's state machine
/// learns from it that an Error can be sent, e.g. at the handshake deadline).
@Suite struct TLSHandshakeObserverTests {
    final class HandshakeRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var handshakes = 0

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted = event as? TLSUserEvent { handshakes += 1 }
            context.fireUserInboundEventTriggered(event)
        }
    }

    @Test func theHandshakeReachesTheHandlersBehindItAndTheObserverLeaves() throws {
        let channel = EmbeddedChannel()
        let recorder = HandshakeRecorder()
        try channel.pipeline.syncOperations.addHandler(TLSHandshakeObserver(metrics: SeatMetrics()))
        try channel.pipeline.syncOperations.addHandler(recorder)

        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))

        #expect(recorder.handshakes == 1)
        #expect(throws: ChannelPipelineError.self) { try channel.pipeline.syncOperations.context(handlerType: TLSHandshakeObserver.self) }
        _ = try channel.finish()
    }
}
