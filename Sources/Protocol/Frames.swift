import NIOCore

/// A client message and the request id the server will echo in its reply.
public struct ClientFrame: Sendable, Equatable {
    /// Chosen by the client, never 0 (reserved for server-initiated messages).
    public var requestID: UInt32
    /// The request.
    public var message: ClientMessage

    /// Creates a frame.
    public init(requestID: UInt32, message: ClientMessage) {
        self.requestID = requestID
        self.message = message
    }
}

/// A server message and the request id it answers (0 for a server-initiated message).
public struct ServerFrame: Sendable, Equatable {
    /// The request id of the request this answers.
    public var requestID: UInt32
    /// The reply.
    public var message: ServerMessage

    /// Creates a frame.
    public init(requestID: UInt32, message: ServerMessage) {
        self.requestID = requestID
        self.message = message
    }
}

extension ClientFrame {
    /// Decodes a frame body (the length prefix already removed, e.g. by ``FrameDecoder``).
    ///
    /// - Throws: ``WireError``, carrying the request id once the header was readable.
    ///   A request id of 0 is ``ErrorCode/malformedMessage``.
    public init(decoding body: ByteBuffer) throws(WireError) {
        (requestID, message) = try decodeFrameBody(body, allowsServerPushID: false)
    }

    /// Appends the length prefix and the body to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeFrame(requestID: requestID, message: message)
    }
}

extension ServerFrame {
    /// Decodes a frame body (the length prefix already removed, e.g. by ``FrameDecoder``).
    ///
    /// - Throws: ``WireError``, carrying the request id once the header was readable.
    public init(decoding body: ByteBuffer) throws(WireError) {
        (requestID, message) = try decodeFrameBody(body, allowsServerPushID: true)
    }

    /// Appends the length prefix and the body to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeFrame(requestID: requestID, message: message)
    }
}

private func decodeFrameBody<Message: FramePayload>(
    _ body: ByteBuffer,
    allowsServerPushID: Bool
) throws(WireError) -> (UInt32, Message) {
    var body = body
    guard let (typeByte, requestID) = body.readMultipleIntegers(endianness: .big, as: (UInt8, UInt32).self) else {
        throw WireError(
            code: .malformedMessage,
            reason: "frame body is \(body.readableBytes) bytes; at least \(WireConstants.minimumBodyBytes)"
        )
    }
    guard allowsServerPushID || requestID != WireConstants.serverPushRequestID else {
        throw WireError(
            code: .malformedMessage,
            requestID: requestID,
            reason: "request id 0 is reserved for server-initiated messages"
        )
    }
    do throws(WireError) {
        let message = try Message(typeByte: typeByte, payload: &body)
        try body.expectEndOfMessage()
        return (requestID, message)
    } catch {
        var error = error
        error.requestID = requestID
        throw error
    }
}

extension ByteBuffer {
    /// Writes the `u32` body length, the type, the request id and the payload.
    fileprivate mutating func writeFrame(requestID: UInt32, message: some FramePayload) {
        let lengthIndex = writerIndex
        writeMultipleIntegers(UInt32(0), message.messageType.rawValue, requestID)
        message.writePayload(into: &self)
        let bodyLength = writerIndex - lengthIndex - WireConstants.lengthPrefixBytes
        setInteger(UInt32(truncatingIfNeeded: bodyLength), at: lengthIndex)
    }
}
