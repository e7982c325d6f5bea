import NIOCore
import NIOEmbedded
@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// Server-initiated frames (request id 0) reach the connection's listeners without
/// disturbing the requests waiting for replies.
@Suite struct ResponseRouterPushTests {
    let channel = EmbeddedChannel()
    let revocations: AsyncStream<SessionRevokedNotice>
    let queueNews: AsyncStream<QueueNews>
    let pending: EventLoopPromise<ServerMessage>

    init() throws {
        let (stream, sink) = AsyncStream<SessionRevokedNotice>.makeStream()
        revocations = stream
        let (news, newsSink) = AsyncStream<QueueNews>.makeStream()
        queueNews = news
        try channel.pipeline.syncOperations.addHandler(ResponseRouter(revocations: sink, queueNews: newsSink))
        // Active, so that a close by the router shows in `isActive`.
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 7420), promise: nil)
        #expect(channel.isActive)
        pending = channel.eventLoop.makePromise()
        try channel.writeOutbound(ResponseRouter.PendingRequest(message: .heartbeat(tokenA), promise: pending, timeout: .seconds(15)))
        #expect(try channel.readOutbound(as: ClientFrame.self) == ClientFrame(requestID: 1, message: .heartbeat(tokenA)))
    }

    /// A frame body as FrameDecoder passes it on: without the length prefix.
    func body(_ frame: ServerFrame) -> ByteBuffer {
        var buffer = ByteBuffer()
        frame.encode(into: &buffer)
        buffer.moveReaderIndex(forwardBy: WireConstants.lengthPrefixBytes)
        return buffer
    }

    /// The pending request's result if it has one yet (EmbeddedChannel: callbacks run inline).
    func pendingResult() -> Result<ServerMessage, any Error>? {
        let result = NIOLoopBoundBox<Result<ServerMessage, any Error>?>(nil, eventLoop: channel.eventLoop)
        pending.futureResult.whenComplete { result.value = $0 }
        return result.value
    }

    @Test func queuePushesGoToTheQueueNewsAndThePendingRequestStillGetsItsReply() async throws {
        let moved = QueuePositionNotice(waitID: 3, place: QueuePlace(position: 1, waiting: 1, seatsTotal: 1, seatsInUse: 1))
        let ended = WaitEndedNotice(waitID: 3, reason: .lapsed, message: "lapsed")
        try channel.writeInbound(body(ServerFrame(requestID: WireConstants.serverPushRequestID, message: .queuePosition(moved))))
        try channel.writeInbound(body(ServerFrame(requestID: WireConstants.serverPushRequestID, message: .waitEnded(ended))))
        #expect(pendingResult() == nil)
        try channel.writeInbound(body(ServerFrame(requestID: 1, message: .heartbeatAccepted(accepted(expiresAt: 8)))))
        #expect(pendingResult() != nil)
        try await channel.close().get()
        var received: [QueueNews] = []
        for await news in queueNews { received.append(news) }
        #expect(received == [.moved(moved), .ended(ended)])
    }

    @Test func aSessionRevokedPushGoesToTheRevocationsAndThePendingRequestStillGetsItsReply() async throws {
        let notice = SessionRevokedNotice(token: tokenA, reason: .forceReleased, message: "released by an administrator")
        try channel.writeInbound(body(ServerFrame(requestID: WireConstants.serverPushRequestID, message: .sessionRevoked(notice))))
        #expect(pendingResult() == nil)
        #expect(channel.isActive)

        let refusal = ErrorReply(code: .sessionRevoked, message: "revoked")
        try channel.writeInbound(body(ServerFrame(requestID: 1, message: .error(refusal))))
        guard case .success(.error(let reply))? = pendingResult() else {
            Issue.record("the heartbeat got no reply")
            return
        }
        #expect(reply == refusal)

        try await channel.close().get()
        var received: [SessionRevokedNotice] = []
        for await notice in revocations { received.append(notice) }
        #expect(received == [notice])
    }

    @Test func aPushOfAnUnknownTypeIsIgnored() throws {
        // Type 0xB1 with request id 0: a notification of a later protocol version.
        var frame = ByteBuffer()
        frame.writeMultipleIntegers(UInt8(0xB1), WireConstants.serverPushRequestID, UInt32(7))
        try channel.writeInbound(frame)
        #expect(channel.isActive)
        #expect(pendingResult() == nil)
    }

    @Test func aConnectionLevelErrorPushFailsThePendingRequest() throws {
        let idle = ErrorReply(code: .idleTimeout, message: "idle")
        try channel.writeInbound(body(ServerFrame(requestID: WireConstants.serverPushRequestID, message: .error(idle))))
        guard case .failure(let error)? = pendingResult() else {
            Issue.record("the heartbeat did not fail")
            return
        }
        #expect(error as? ErrorReply == idle)
    }

    @Test func closingTheChannelEndsTheRevocations() async throws {
        try await channel.close().get()
        var count = 0
        for await _ in revocations { count += 1 }
        #expect(count == 0)
        guard case .failure(let error)? = pendingResult() else {
            Issue.record("the heartbeat did not fail")
            return
        }
        #expect(error as? SeatClientError == .connectionClosed)
    }
}
