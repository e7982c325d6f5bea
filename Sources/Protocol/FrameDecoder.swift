import NIOCore

/// Splits a byte stream into frame bodies: reads the `u32` length prefix and yields the body
/// that follows (type, request id, payload) without copying it. Decode a body with
/// ``ClientFrame/init(decoding:)`` or ``ServerFrame/init(decoding:)``.
///
/// The limit is checked against the header alone, so an oversized frame is refused before
/// its body is buffered. Every error is fatal to the stream: it cannot be resynchronised, so
/// report the error to the peer and close.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    /// A frame body.
    public typealias InboundOut = ByteBuffer

    /// The largest body length accepted. A server may change it between frames (e.g. a
    /// small limit until the peer has authenticated); it applies from the next header on.
    public var maximumFrameBytes: Int

    /// Creates a decoder that accepts bodies up to `maximumFrameBytes` bytes.
    public init(maximumFrameBytes: Int = WireConstants.defaultMaximumFrameBytes) {
        self.maximumFrameBytes = maximumFrameBytes
    }

    /// Returns the next frame body, or `nil` until it has fully arrived.
    ///
    /// - Throws: ``WireError`` with ``ErrorCode/frameTooLarge`` when the header announces
    ///   more than ``maximumFrameBytes``, or ``ErrorCode/malformedMessage`` when it announces
    ///   fewer than ``WireConstants/minimumBodyBytes``.
    public mutating func decode(buffer: inout ByteBuffer) throws(WireError) -> ByteBuffer? {
        guard let announced = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        let length = Int(announced)
        guard length >= WireConstants.minimumBodyBytes else {
            throw WireError(
                code: .malformedMessage,
                reason: "frame length \(length) is below the minimum of \(WireConstants.minimumBodyBytes)"
            )
        }
        guard length <= maximumFrameBytes else {
            throw WireError(
                code: .frameTooLarge,
                reason: "frame length \(length) exceeds the maximum of \(maximumFrameBytes)"
            )
        }
        let bodyIndex = buffer.readerIndex + WireConstants.lengthPrefixBytes
        guard let body = buffer.getSlice(at: bodyIndex, length: length) else { return nil }
        buffer.moveReaderIndex(to: bodyIndex + length)
        return body
    }

    /// Like ``decode(buffer:)``, but bytes of an incomplete frame left at the end of the
    /// stream are ``ErrorCode/malformedMessage``.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws(WireError) -> ByteBuffer? {
        if let body = try decode(buffer: &buffer) { return body }
        guard buffer.readableBytes == 0 else {
            throw WireError(
                code: .malformedMessage,
                reason: "truncated frame at end of stream: \(buffer.readableBytes) bytes of an incomplete frame"
            )
        }
        return nil
    }
}
