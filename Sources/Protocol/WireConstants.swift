/// Fixed values of the seatd wire protocol. See `protocol-spec.md` at the repository root.
public enum WireConstants {
    /// The first field of a Hello: the ASCII bytes `SEAT`.
    public static let magic: UInt32 = 0x5345_4154
    /// The newest protocol version this implementation speaks.
    public static let currentVersion: UInt16 = 2
    /// Every protocol version this implementation speaks. Version 2 adds the overage
    /// fields of Acquired and Validated (`ServerMessage.spoken(in:)` turns a reply into
    /// what a version 1 peer understands).
    public static let supportedVersions: ClosedRange<UInt16> = 1...2
    /// Size of the big-endian `u32` that precedes every frame body.
    public static let lengthPrefixBytes = 4
    /// The smallest frame body: a `u8` message type and a `u32` request id.
    public static let minimumBodyBytes = 5
    /// The largest frame body a peer accepts unless configured otherwise. Every v1 message
    /// with fields inside ``WireLimits`` fits well below it.
    public static let defaultMaximumFrameBytes = 65_536
    /// The request id of server-initiated messages. Clients never use it for a request.
    public static let serverPushRequestID: UInt32 = 0
}

/// Inclusive limits of every variable-length field, in UTF-8 bytes (entries for
/// ``featureCount``).
///
/// Decoders reject a value outside its range with ``ErrorCode/invalidField``. Encoders never
/// write a frame that breaks a maximum: they truncate an over-long string at a Unicode scalar
/// boundary, leave out feature entries whose key is out of range, and write at most
/// `featureCount.upperBound` features (the first by key order). Validate data that should
/// not be cut short (license tiers and features, client names) against these limits first.
public enum WireLimits {
    /// Hello `clientName`.
    public static let clientName: ClosedRange<Int> = 0...64
    /// Acquire and Validate `licenseKey`.
    public static let licenseKey: ClosedRange<Int> = 1...128
    /// Acquire `user`.
    public static let user: ClosedRange<Int> = 1...256
    /// Acquire `hostname`.
    public static let hostname: ClosedRange<Int> = 0...255
    /// Acquire `hardwareID`.
    public static let hardwareID: ClosedRange<Int> = 1...256
    /// Acquire `clientVersion`.
    public static let clientVersion: ClosedRange<Int> = 0...64
    /// HelloAccepted `serverName`.
    public static let serverName: ClosedRange<Int> = 0...64
    /// Acquired and Validated `tier`.
    public static let tier: ClosedRange<Int> = 0...64
    /// Number of entries in a feature map.
    public static let featureCount: ClosedRange<Int> = 0...64
    /// A feature key.
    public static let featureKey: ClosedRange<Int> = 1...64
    /// A feature value.
    public static let featureValue: ClosedRange<Int> = 0...256
    /// Error `message`.
    public static let errorMessage: ClosedRange<Int> = 0...1024
    /// Error `detail` bytes.
    public static let errorDetail: ClosedRange<Int> = 0...1024
    /// The `notActive` detail's `address` (`host:port`; empty while no node is active).
    public static let activeNodeAddress: ClosedRange<Int> = 0...255
    /// Authenticate `accessKey`.
    public static let accessKey: ClosedRange<Int> = 1...256
    /// Authenticated `tenant`.
    public static let tenant: ClosedRange<Int> = 1...64
    /// AdminRequest and AdminReply `json` (a `u32` length; the frame size bounds it too).
    public static let adminJSON: ClosedRange<Int> = 2...16_777_216
    /// Borrow `durationMinutes`: at least a minute (the server caps it at its maximum).
    public static let borrowMinutes: ClosedRange<UInt32> = 1...UInt32.max
    /// Borrowed `lease` bytes (a version 1 lease with maximal fields has 801).
    public static let borrowLease: ClosedRange<Int> = 1...1024
    /// SessionRevoked `message`.
    public static let revocationMessage: ClosedRange<Int> = 0...1024
}
