import SeatCore

/// The first message of every connection (type `0x01`): the client's protocol version range.
public struct Hello: Sendable, Equatable {
    /// The oldest protocol version the client speaks.
    public var minimumVersion: UInt16
    /// The newest protocol version the client speaks; at least `minimumVersion`.
    public var maximumVersion: UInt16
    /// A free-form client identification for logs, e.g. `"seatctl 1.2"` (0...64 bytes).
    public var clientName: String

    /// Creates a Hello; by default for every version this implementation speaks.
    public init(
        minimumVersion: UInt16 = WireConstants.supportedVersions.lowerBound,
        maximumVersion: UInt16 = WireConstants.supportedVersions.upperBound,
        clientName: String
    ) {
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.clientName = clientName
    }

    /// The newest version both sides speak, or `nil` when the ranges do not overlap (the
    /// server then answers ``ErrorCode/unsupportedVersion``).
    public func negotiatedVersion(
        serverSupports supported: ClosedRange<UInt16> = WireConstants.supportedVersions
    ) -> UInt16? {
        let newest = min(maximumVersion, supported.upperBound)
        return newest >= max(minimumVersion, supported.lowerBound) ? newest : nil
    }
}

/// A request for a seat (type `0x02`). Idempotent per (license key, user, hardware id).
public struct AcquireRequest: Sendable, Equatable {
    /// The license to take a seat of (1...128 bytes).
    public var licenseKey: String
    /// Who uses the seat (1...256 bytes).
    public var user: String
    /// The workstation's host name, for administrators (0...255 bytes).
    public var hostname: String
    /// A stable identifier of the workstation (1...256 bytes).
    public var hardwareID: String
    /// The client software's version, for administrators (0...64 bytes).
    public var clientVersion: String

    /// Creates an acquire request.
    public init(licenseKey: String, user: String, hostname: String, hardwareID: String, clientVersion: String) {
        self.licenseKey = licenseKey
        self.user = user
        self.hostname = hostname
        self.hardwareID = hardwareID
        self.clientVersion = clientVersion
    }
}

/// A request to borrow a seat for offline use (type `0x0B`): a seat for the user on this
/// machine that needs no heartbeats until it is returned (a Release of its token) or
/// expires, with an offline lease signed by the server.
public struct BorrowRequest: Sendable, Equatable {
    /// Who borrows, for which license, on which machine: as in an Acquire.
    public var seat: AcquireRequest
    /// How long the seat is wanted, in minutes (at least 1); the server caps it at the
    /// site policy's maximum and answers with the expiry it granted.
    public var durationMinutes: UInt32

    public init(seat: AcquireRequest, durationMinutes: UInt32) {
        self.seat = seat
        self.durationMinutes = durationMinutes
    }
}

/// An administrative operation (type `0x10`): a JSON object described in
/// `docs/admin-protocol.md`. Allowed only on the admin socket or on a connection
/// authenticated with an admin access key.
public struct AdminRequest: Sendable, Equatable {
    /// UTF-8 JSON text of one object with an `"op"` member.
    public var json: String

    public init(json: String) {
        self.json = json
    }
}

/// Every message a client sends.
public enum ClientMessage: Sendable, Equatable {
    /// Opens the conversation; must be the first message and sent once.
    case hello(Hello)
    /// Takes (or re-attaches to) a seat.
    case acquire(AcquireRequest)
    /// Takes a seat, or waits in the license's queue for one (type `0x0F`): answered with
    /// Acquired or Queued, then pushes about the wait.
    case acquireOrWait(AcquireRequest)
    /// Extends the lease of a session (type `0x03`).
    case heartbeat(SessionToken)
    /// Ends a session and frees its seat (type `0x04`). Idempotent.
    case release(SessionToken)
    /// Asks for a license's status without taking a seat (type `0x05`).
    case validate(licenseKey: String)
    /// Presents a tenant's access key (type `0x06`); once per connection, after Hello.
    case authenticate(accessKey: String)
    /// An administrative operation.
    case admin(AdminRequest)
    /// Borrows a seat for offline use (type `0x0B`); returned with `release`.
    case borrow(BorrowRequest)
}
