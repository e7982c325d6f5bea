/// The stable numeric codes of an Error reply (message type `0xFF`).
///
/// Each case says what a client should do. ``isRetryable`` summarises it: whether sending
/// the same request again later (on a new connection where the server closed this one) can
/// succeed without any change by the user or an administrator.
public enum ErrorCode: UInt16, Sendable, CaseIterable {
    /// The frame or message could not be parsed: truncated, trailing bytes, a bad `bool`,
    /// a wrong Hello magic, duplicate feature keys, request id 0, or a frame length below 5.
    /// Not retryable: the client has a bug.
    case malformedMessage = 1
    /// A string field is not valid UTF-8. Not retryable: the client has a bug.
    case invalidUTF8 = 2
    /// A field is out of its limits (too long, or empty where required). Not retryable:
    /// fix the input.
    case invalidField = 3
    /// The message type byte is unknown to the server. Not retryable on this server.
    case unknownMessageType = 4
    /// No protocol version is shared; the detail carries the server's supported range.
    /// The server closes the connection. Not retryable: upgrade the client or the server.
    case unsupportedVersion = 5
    /// A request arrived before Hello. The server closes the connection. Not retryable:
    /// the client has a bug.
    case helloRequired = 6
    /// A frame header announced more than the server's maximum frame size. The server
    /// closes the connection. Not retryable.
    case frameTooLarge = 7
    /// A message arrived that is not allowed at this point (a second Hello). Not retryable.
    case unexpectedMessage = 8
    /// The connection was idle too long; the server closes it. Retryable: reconnect when
    /// there is something to send.
    case idleTimeout = 9

    /// No license has this key. Not retryable: check the key.
    case unknownLicense = 100
    /// The license has expired; the detail carries when. Not retryable until renewed.
    case licenseExpired = 101
    /// The license is suspended by an administrator. Not retryable until reinstated.
    case licenseSuspended = 102
    /// The license is revoked. Not retryable.
    case licenseRevoked = 103
    /// Every seat is taken; the detail carries the counts and the earliest time a seat may
    /// free up. Retryable: wait until `nextFreeAt` (or poll with back-off) and acquire again.
    case noSeats = 104
    /// The site's policy refuses this user or host a seat; the detail carries the reason
    /// (excluded, not included, over a maximum with its limit, free seats reserved for
    /// others). Not retryable as a whole: `excluded` and `notIncluded` stand until the
    /// policy changes; a client may wait and retry `overMax` (after releasing a seat) and
    /// `reservedForOthers` (``PolicyDenialReason/isWorthWaiting``).
    case policyDenied = 105

    /// The server knows no session with this token (never existed, or ended so long ago it
    /// was forgotten). Not retryable: acquire a new seat.
    case unknownSession = 110
    /// The session's lease ran out before this heartbeat. Not retryable: acquire again.
    case sessionExpired = 111
    /// The session was released. Not retryable: acquire again.
    case sessionReleased = 112
    /// An administrator ended the session. Not retryable: acquire again only if the user
    /// is meant to.
    case sessionRevoked = 113

    /// The access key is unknown, malformed or revoked. The server closes the connection.
    /// Not retryable: get a valid key from an administrator.
    case authenticationFailed = 120
    /// A seat request arrived before Authenticate on a server that requires it. Not
    /// retryable: configure the client's access key.
    case authenticationRequired = 121
    /// Too many failed authentications from this address; the detail carries how long
    /// until the next attempt is heard. The server closes the connection. Retryable after
    /// that time (with a valid key).
    case authenticationThrottled = 122

    /// An admin request on a connection that is not an administrator's. Not retryable.
    case notAuthorized = 130
    /// The admin request is not valid JSON, names an unknown operation, or lacks or
    /// mistypes a member. Not retryable: fix the request.
    case invalidAdminRequest = 131
    /// The admin request names something that does not exist (license, tenant, key,
    /// session). Not retryable.
    case notFound = 132
    /// The admin request conflicts with the current state (already exists, still in use,
    /// managed by the licenses file, requires development mode). Not retryable as is.
    case conflict = 133
    /// A license's signature does not verify, or it is unsigned outside development
    /// mode. Not retryable: get a correctly signed license from the vendor.
    case licenseNotVerified = 134

    /// The server's storage is full; nothing new can be committed. Retryable with back-off;
    /// an administrator must act.
    case storageFull = 200
    /// A storage commit failed; nothing was changed. Retryable with back-off.
    case storageFailure = 201
    /// The server is shutting down; it closes the connection after answering. Retryable:
    /// reconnect (with back-off) and send again.
    case shuttingDown = 202
    /// An unexpected server fault; nothing was changed. Retryable with back-off.
    case internalError = 203
    /// This node is a standby of an active/standby pair; the detail names the active node
    /// (``ErrorDetail/activeNode(address:)``, empty while none is active, e.g. during a
    /// takeover). Nothing was changed. Retryable at once on the named node if the client is
    /// configured with it, else on its next server.
    case notActive = 204

    /// Whether the same request, sent again later, can succeed without anyone changing
    /// anything (see each case).
    public var isRetryable: Bool {
        switch self {
        case .idleTimeout, .noSeats, .authenticationThrottled, .storageFull, .storageFailure, .shuttingDown, .internalError, .notActive:
            true
        case .malformedMessage, .invalidUTF8, .invalidField, .unknownMessageType, .unsupportedVersion,
            .helloRequired, .frameTooLarge, .unexpectedMessage, .unknownLicense, .licenseExpired,
            .licenseSuspended, .licenseRevoked, .policyDenied, .unknownSession, .sessionExpired, .sessionReleased,
            .sessionRevoked, .authenticationFailed, .authenticationRequired, .notAuthorized, .invalidAdminRequest,
            .notFound, .conflict, .licenseNotVerified:
            false
        }
    }
}
