import NIOCore

/// The type byte that starts every frame body. Replies are the request's type with the
/// high bit set; `0xFF` is Error.
enum MessageType: UInt8 {
    case hello = 0x01
    case acquire = 0x02
    case heartbeat = 0x03
    case release = 0x04
    case validate = 0x05
    case authenticate = 0x06
    case borrow = 0x0B
    case acquireOrWait = 0x0F
    case adminRequest = 0x10
    case helloAccepted = 0x81
    case acquired = 0x82
    case heartbeatAccepted = 0x83
    case released = 0x84
    case validated = 0x85
    case authenticated = 0x86
    case borrowed = 0x8B
    case queued = 0x8F
    case adminReply = 0x90
    case sessionRevoked = 0xA0
    case waitEnded = 0xAD
    case queueGranted = 0xAE
    case queuePosition = 0xAF
    case error = 0xFF
}

/// A message that travels as the payload of a frame body.
protocol FramePayload {
    /// The type byte written before the request id.
    var messageType: MessageType { get }
    /// Writes the fields after the request id.
    func writePayload(into buffer: inout ByteBuffer)
    /// Reads the fields after the request id of a message of type `typeByte`; the caller
    /// checks that nothing follows.
    init(typeByte: UInt8, payload: inout ByteBuffer) throws(WireError)
}

extension WireError {
    static func unknownMessageType(_ typeByte: UInt8) -> WireError {
        WireError(code: .unknownMessageType, reason: "unknown message type 0x\(String(typeByte, radix: 16))")
    }
}
