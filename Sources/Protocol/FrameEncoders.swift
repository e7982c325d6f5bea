import NIOCore

/// Writes each ``ServerFrame`` as one length-prefixed frame into one buffer.
public struct ServerFrameEncoder: MessageToByteEncoder, Sendable {
    /// The frame to write.
    public typealias OutboundIn = ServerFrame

    /// Creates an encoder.
    public init() {}

    /// Appends the frame's length prefix and body to `out`.
    public func encode(data: ServerFrame, out: inout ByteBuffer) {
        data.encode(into: &out)
    }
}

/// Writes each ``ClientFrame`` as one length-prefixed frame into one buffer.
public struct ClientFrameEncoder: MessageToByteEncoder, Sendable {
    /// The frame to write.
    public typealias OutboundIn = ClientFrame

    /// Creates an encoder.
    public init() {}

    /// Appends the frame's length prefix and body to `out`.
    public func encode(data: ClientFrame, out: inout ByteBuffer) {
        data.encode(into: &out)
    }
}
