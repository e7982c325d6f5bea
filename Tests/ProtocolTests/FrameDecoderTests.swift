import NIOCore
import SeatCore
import SeatProtocol
import Testing

private let heartbeat = AnyFrame.client(ClientFrame(requestID: 7, message: .heartbeat(specToken))).encoded
private let validate = AnyFrame.client(ClientFrame(requestID: 8, message: .validate(licenseKey: "ACME"))).encoded

@Suite("FrameDecoder")
struct FrameDecoderTests {
    @Test func frameSplitAcrossReadsAtEveryByte() throws {
        let stream = heartbeat + validate
        let bodies = try decodeFrames(stream.map { [$0] }, atEOF: true)
        #expect(bodies.count == 2)
        #expect(try ClientFrame(decoding: bodies[0]).requestID == 7)
        #expect(try ClientFrame(decoding: bodies[1]).requestID == 8)
    }

    @Test func frameSplitAtEveryPosition() throws {
        let stream = heartbeat + validate
        for split in 1..<stream.count {
            let bodies = try decodeFrames([Array(stream[..<split]), Array(stream[split...])], atEOF: true)
            #expect(bodies.map { Array($0.readableBytesView) } == [Array(heartbeat.dropFirst(4)), Array(validate.dropFirst(4))])
        }
    }

    @Test func manyFramesInOneRead() throws {
        let count = 100
        let bodies = try decodeFrames([Array(Array(repeating: heartbeat, count: count).joined())])
        #expect(bodies.count == count)
        #expect(try bodies.allSatisfy { try ClientFrame(decoding: $0).message == .heartbeat(specToken) })
    }

    @Test func oversizedHeaderIsRejectedBeforeTheBodyArrives() {
        for announced in [UInt32(101), UInt32(65_537), UInt32.max] {
            var header = ByteBuffer()
            header.writeInteger(announced)
            let limit = announced == 101 ? 100 : WireConstants.defaultMaximumFrameBytes
            let error = #expect(throws: WireError.self) {
                _ = try decodeFrames([Array(header.readableBytesView)], maximumFrameBytes: limit)
            }
            #expect(error?.code == .frameTooLarge)
            #expect(error?.requestID == nil)
        }
    }

    @Test func frameOfExactlyTheMaximumIsAccepted() throws {
        var frame = ByteBuffer()
        frame.writeInteger(UInt32(100))
        frame.writeRepeatingByte(1, count: 100)
        let bodies = try decodeFrames([Array(frame.readableBytesView)], maximumFrameBytes: 100, atEOF: true)
        #expect(bodies.map(\.readableBytes) == [100])
    }

    @Test func headerBelowTheMinimumBodyIsMalformed() {
        for announced in 0..<UInt32(WireConstants.minimumBodyBytes) {
            var header = ByteBuffer()
            header.writeInteger(announced)
            let error = #expect(throws: WireError.self) { _ = try decodeFrames([Array(header.readableBytesView)]) }
            #expect(error?.code == .malformedMessage)
        }
    }

    @Test func truncatedFrameAtEndOfStreamIsMalformed() {
        let error = #expect(throws: WireError.self) {
            _ = try decodeFrames([heartbeat + validate.dropLast()], atEOF: true)
        }
        #expect(error?.code == .malformedMessage)
        #expect(error?.reason.hasPrefix("truncated frame") == true)
    }

    @Test func cleanEndOfStreamYieldsNothingMore() throws {
        #expect(try decodeFrames([], atEOF: true).isEmpty)
        #expect(try decodeFrames([heartbeat], atEOF: true).count == 1)
    }

    @Test func codersPlugIntoNIOHandlers() {
        _ = ByteToMessageHandler(FrameDecoder(maximumFrameBytes: 1_024))
        _ = MessageToByteHandler(ServerFrameEncoder())
        _ = MessageToByteHandler(ClientFrameEncoder())
        #expect(FrameDecoder().maximumFrameBytes == WireConstants.defaultMaximumFrameBytes)
    }
}
