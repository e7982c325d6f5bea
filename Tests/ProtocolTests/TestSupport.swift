import Foundation
import NIOCore
import SeatCore
import SeatProtocol

/// The token every spec vector uses.
let specToken = SessionToken(high: 0x0011_2233_4455_6677, low: 0x8899_aabb_ccdd_eeff)

func timestamp(_ milliseconds: Int64) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: milliseconds)
}

/// A frame in either direction, for tables that mix both.
enum AnyFrame: Sendable, Equatable {
    case client(ClientFrame)
    case server(ServerFrame)

    /// The complete frame, length prefix included.
    var encoded: [UInt8] {
        var buffer = ByteBuffer()
        switch self {
        case .client(let frame): frame.encode(into: &buffer)
        case .server(let frame): frame.encode(into: &buffer)
        }
        return Array(buffer.readableBytesView)
    }

    /// Decodes a body in this frame's direction.
    func decodeSameDirection(_ body: ByteBuffer) throws(WireError) -> AnyFrame {
        switch self {
        case .client: .client(try ClientFrame(decoding: body))
        case .server: .server(try ServerFrame(decoding: body))
        }
    }

    var requestID: UInt32 {
        switch self {
        case .client(let frame): frame.requestID
        case .server(let frame): frame.requestID
        }
    }

    /// The frame without the optional fields protocol version 2 adds at the end of a body.
    var withoutVersionTwoFields: AnyFrame {
        guard case .server(let frame) = self else { return self }
        switch frame.message {
        case .acquired(var grant):
            grant.overage = nil
            return .server(ServerFrame(requestID: frame.requestID, message: .acquired(grant)))
        case .queueGranted(var notice):
            notice.grant.overage = nil
            return .server(ServerFrame(requestID: frame.requestID, message: .queueGranted(notice)))
        case .validated(var result):
            result.overageSeats = nil
            return .server(ServerFrame(requestID: frame.requestID, message: .validated(result)))
        default:
            return self
        }
    }
}

/// A body (no length prefix) built by hand, for malformed-input tests.
func rawBody(type: UInt8, requestID: UInt32 = 1, _ payload: (inout ByteBuffer) -> Void = { _ in }) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeInteger(type)
    buffer.writeInteger(requestID)
    payload(&buffer)
    return buffer
}

extension ByteBuffer {
    /// Writes a wire `string` from raw bytes, valid UTF-8 or not.
    mutating func putString(_ bytes: [UInt8]) {
        writeInteger(UInt16(bytes.count))
        writeBytes(bytes)
    }

    mutating func putString(_ string: String) {
        putString(Array(string.utf8))
    }
}

/// The body of a complete encoded frame.
func body(of frame: [UInt8]) -> ByteBuffer {
    ByteBuffer(bytes: frame.dropFirst(WireConstants.lengthPrefixBytes))
}

/// Runs bytes through a ``FrameDecoder`` the way `ByteToMessageHandler` would, one chunk
/// per read, and returns the bodies; `atEOF` also signals end of stream.
func decodeFrames(
    _ chunks: [[UInt8]],
    maximumFrameBytes: Int = WireConstants.defaultMaximumFrameBytes,
    atEOF: Bool = false
) throws -> [ByteBuffer] {
    let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder(maximumFrameBytes: maximumFrameBytes))
    var bodies: [ByteBuffer] = []
    for chunk in chunks {
        try processor.process(buffer: ByteBuffer(bytes: chunk)) { bodies.append($0) }
    }
    if atEOF {
        try processor.finishProcessing(seenEOF: true) { bodies.append($0) }
    }
    return bodies
}

/// A small deterministic generator (SplitMix64) for reproducible randomized tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The test vectors of `protocol-spec.md`, in document order.
struct SpecVector {
    var name: String
    var bytes: [UInt8]
}

enum SpecFile {
    /// `protocol-spec.md` at the repository root, two levels above this file's directory.
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("protocol-spec.md")

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// Every `Vector: <name>` line followed by a fenced `hex` block. Whitespace and `#`
    /// comments inside a block are ignored. A `hex` block without a name, a name without a
    /// block, a duplicate name or a bad hex digit is an error.
    static func vectors() throws -> [SpecVector] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var vectors: [SpecVector] = []
        var pendingName: String?
        var hexDigits: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var digits = hexDigits {
                if trimmed == "```" {
                    guard let name = pendingName else { throw ParseError(description: "hex block without a name") }
                    vectors.append(SpecVector(name: name, bytes: try parseHex(digits, vector: name)))
                    pendingName = nil
                    hexDigits = nil
                } else {
                    digits += line.prefix { $0 != "#" }.filter { !$0.isWhitespace }
                    hexDigits = digits
                }
            } else if trimmed.hasPrefix("Vector:") {
                if let pendingName { throw ParseError(description: "vector \(pendingName) has no hex block") }
                pendingName = trimmed.dropFirst("Vector:".count).trimmingCharacters(in: .whitespaces)
            } else if trimmed == "```hex" {
                guard pendingName != nil else { throw ParseError(description: "hex block without a Vector: line") }
                hexDigits = ""
            } else if !trimmed.isEmpty, let pendingName {
                throw ParseError(description: "vector \(pendingName) is not followed by a hex block")
            }
        }
        if let pendingName { throw ParseError(description: "vector \(pendingName) has no complete hex block") }
        let names = vectors.map(\.name)
        guard Set(names).count == names.count else { throw ParseError(description: "duplicate vector names") }
        return vectors
    }

    private static func parseHex(_ digits: String, vector: String) throws -> [UInt8] {
        let utf8 = Array(digits.utf8)
        guard utf8.count % 2 == 0 else { throw ParseError(description: "\(vector): odd number of hex digits") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        for index in stride(from: 0, to: utf8.count, by: 2) {
            guard let byte = UInt8(String(decoding: utf8[index...index + 1], as: UTF8.self), radix: 16) else {
                throw ParseError(description: "\(vector): bad hex digits at \(index)")
            }
            bytes.append(byte)
        }
        return bytes
    }
}
