import Hummingbird
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import SeatHTTP
import Testing

/// The HTTP listeners' per-request deadline, on an embedded event loop's clock.
@Suite struct RequestDeadlineTests {
    func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RequestDeadlineHandler(limit: .seconds(10)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func head() -> HTTPRequestPart {
        .head(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/metrics"))
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
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(9_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }
}
