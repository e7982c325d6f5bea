/// Why bytes could not be decoded into a frame or message.
///
/// The server answers it with an Error reply (see ``errorReply``) using ``requestID`` when
/// it was readable, or request id 0 when it was not.
public struct WireError: Error, Sendable, Equatable {
    /// The protocol error code to report to the peer.
    public var code: ErrorCode
    /// The request id of the offending frame, when the frame header could be read.
    public var requestID: UInt32?
    /// A human-readable explanation, suitable for logs and the Error reply message.
    public var reason: String

    /// Creates a decoding error.
    public init(code: ErrorCode, requestID: UInt32? = nil, reason: String) {
        self.code = code
        self.requestID = requestID
        self.reason = reason
    }

    /// The Error reply that reports this error to the peer.
    public var errorReply: ErrorReply {
        ErrorReply(code: code, message: reason)
    }

    static func truncated(_ field: String) -> WireError {
        WireError(code: .malformedMessage, reason: "message truncated in \(field)")
    }

    static func invalidField(_ field: String, _ problem: String) -> WireError {
        WireError(code: .invalidField, reason: "\(field) \(problem)")
    }
}
