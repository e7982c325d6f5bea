import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import SeatServer
import Testing

/// The health listener's per-request deadline, on an embedded event loop's clock.
@Suite struct HTTPRequestDeadlineTests {
    func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTPRequestDeadlineHandler(limit: .seconds(10)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func head() -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/metrics"))
    }

    @Test func aRequestTrickledInIsClosedAtTheDeadlineNotLater() throws {
        let channel = try makeChannel()
        // A byte every 5 s would keep an idle timer from ever firing.
        for _ in 0..<3 {
            try channel.writeInbound(head())
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(3_300))
        }
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(99))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func eachAnsweredRequestGivesTheNextAFullDeadline() throws {
        let channel = try makeChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(9_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }
}
