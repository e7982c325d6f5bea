import Foundation

/// Which seat to acquire and who holds it. The server's acquire is idempotent per
/// (`licenseKey`, `user`, `hardwareID`): the same triple always gets its live session back.
public struct SeatRequest: Sendable, Equatable {
    /// The license key.
    public var licenseKey: String
    /// The user's login name (1...256 bytes).
    public var user: String
    /// This workstation's host name, for administrators (0...255 bytes).
    public var hostname: String
    /// A stable identifier of this workstation (1...256 bytes).
    public var hardwareID: String
    /// The application's version, for administrators (0...64 bytes).
    public var clientVersion: String

    /// Creates a request; by default for the current user on this machine.
    public init(
        licenseKey: String,
        user: String = ProcessInfo.processInfo.environment["USER"] ?? "unknown",
        hostname: String = ProcessInfo.processInfo.hostName,
        hardwareID: String = MachineIdentity.hardwareID(),
        clientVersion: String = ""
    ) {
        self.licenseKey = licenseKey
        self.user = user
        self.hostname = hostname
        self.hardwareID = hardwareID
        self.clientVersion = clientVersion
    }
}
