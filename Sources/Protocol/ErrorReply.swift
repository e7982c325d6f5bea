import SeatCore

/// Structured data attached to an Error reply, by code.
public enum ErrorDetail: Sendable, Equatable {
    /// No detail (zero detail bytes).
    case none
    /// With ``ErrorCode/noSeats``: the license's counts and the earliest time a seat may
    /// free up (the earliest lease expiry).
    case noSeats(seatsTotal: UInt32, seatsInUse: UInt32, nextFreeAt: Timestamp)
    /// With ``ErrorCode/policyDenied``: why, and the license's counts. `limit` is the
    /// maximum reached (`overMax`, else 0); `reservedFreeSeats` the free seats set aside for
    /// others (`reservedForOthers`, else 0).
    case policyDenied(reason: PolicyDenialReason, limit: UInt32, seatsTotal: UInt32, seatsInUse: UInt32, reservedFreeSeats: UInt32)
    /// With ``ErrorCode/unsupportedVersion``: the versions the server speaks.
    case supportedVersions(minimum: UInt16, maximum: UInt16)
    /// With ``ErrorCode/licenseExpired``: when the license expired.
    case licenseExpired(at: Timestamp)
    /// With ``ErrorCode/authenticationThrottled``: how long until the server hears
    /// another attempt from this address.
    case retryAfter(milliseconds: UInt32)
    /// With ``ErrorCode/notActive``: the active node as `host:port` (an IPv6 literal in
    /// brackets), or empty when no node is active right now (a takeover is in progress).
    case activeNode(address: String)
    /// Detail bytes this version cannot interpret: an unknown code's detail, or a known
    /// code's detail whose length does not match its layout (a newer server may extend it).
    case raw([UInt8])
}

/// A failed request (type `0xFF`). Also thrown by clients to report the failure.
public struct ErrorReply: Sendable, Equatable, Error {
    /// The code as sent on the wire, known or not.
    public var rawCode: UInt16
    /// A human-readable explanation (0...1024 bytes; longer messages are truncated when
    /// encoded).
    public var message: String
    /// Structured data for the code.
    public var detail: ErrorDetail

    /// The code, or `nil` for a code this version does not know (treat as not retryable).
    public var code: ErrorCode? { ErrorCode(rawValue: rawCode) }

    /// Creates an Error reply with a known code.
    public init(code: ErrorCode, message: String, detail: ErrorDetail = .none) {
        self.init(rawCode: code.rawValue, message: message, detail: detail)
    }

    /// Creates an Error reply with any code, known or not.
    public init(rawCode: UInt16, message: String, detail: ErrorDetail = .none) {
        self.rawCode = rawCode
        self.message = message
        self.detail = detail
    }
}
