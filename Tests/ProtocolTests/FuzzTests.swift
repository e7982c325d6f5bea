import NIOCore
import SeatCore
import SeatProtocol
import Testing

@Suite("Randomized input")
struct FuzzTests {
    /// Decoding either direction either fails with a `WireError` (enforced by typed throws)
    /// or yields a message that survives a re-encode unchanged.
    private func decodeIsStable(_ bytes: [UInt8]) throws {
        let input = ByteBuffer(bytes: bytes)
        if let frame = try? ClientFrame(decoding: input) {
            let reencoded = AnyFrame.client(frame)
            #expect(try reencoded.decodeSameDirection(body(of: reencoded.encoded)) == reencoded)
        }
        if let frame = try? ServerFrame(decoding: input) {
            let reencoded = AnyFrame.server(frame)
            #expect(try reencoded.decodeSameDirection(body(of: reencoded.encoded)) == reencoded)
        }
    }

    @Test func randomBodies() throws {
        var random = SeededGenerator(state: 0x5EA7_D001)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...48, using: &random)
            var bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            // Steer half of the inputs to known message types so payload decoding is exercised.
            if !bytes.isEmpty, Bool.random(using: &random) {
                bytes[0] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x81, 0x82, 0x83, 0x84, 0x85, 0xFF].randomElement(using: &random)!
            }
            try decodeIsStable(bytes)
        }
    }

    @Test func mutatedVectors() throws {
        var random = SeededGenerator(state: 0xF00D)
        let bodies = expectedVectors.keys.sorted().map { Array(body(of: expectedVectors[$0]!.encoded).readableBytesView) }
        for _ in 0..<20_000 {
            var bytes = bodies.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: .min ... .max, using: &random)
            }
            try decodeIsStable(bytes)
        }
    }

    @Test func randomStreamsThroughTheFrameDecoder() {
        var random = SeededGenerator(state: 42)
        for _ in 0..<2_000 {
            let chunks = (0..<Int.random(in: 1...4, using: &random)).map { _ in
                (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...8, using: &random) }
            }
            do {
                for body in try decodeFrames(chunks, maximumFrameBytes: 64, atEOF: true) {
                    #expect(body.readableBytes >= WireConstants.minimumBodyBytes && body.readableBytes <= 64)
                    _ = try? ClientFrame(decoding: body)
                }
            } catch {
                #expect(error is WireError, "unexpected error \(error)")
            }
        }
    }
}
