import Foundation
import SeatCore
import SeatLicensing
import SeatProtocol

/// A borrowed seat as the client keeps it, in a lease file: the offline lease the server
/// signed (what the application checks, with no server) and the session token (what
/// returns the seat early). Whoever has the file can return the seat, so it is written
/// readable by its owner only.
///
/// File format (docs/client.md, "Borrowing"): text lines, `#` lines are comments.
/// ```
/// seatd-borrowed-seat 1
/// lease <base64 of the signed lease bytes>
/// token <32 lowercase hex digits>
/// ```
public struct BorrowedSeat: Sendable, Equatable {
    public static let header = "seatd-borrowed-seat 1"

    /// The signed offline lease (protocol-spec.md, "Offline lease").
    public var lease: [UInt8]
    /// The session's secret: `SeatConnection.release(token)` returns the seat.
    public var token: SessionToken

    public init(lease: [UInt8], token: SessionToken) {
        self.lease = lease
        self.token = token
    }

    public init(_ grant: BorrowGrant) {
        self.init(lease: grant.lease, token: grant.token)
    }

    /// The lease checked with the server's public key, at `now`, for this machine.
    public func verify(trusting publicKey: BorrowPublicKey, now: Timestamp, hardwareID: String) -> BorrowLeaseVerdict {
        BorrowLeaseVerifier.verify(lease, trusting: publicKey, now: now, hardwareID: hardwareID)
    }

    /// The lease checked now, on this machine (`MachineIdentity.hardwareID()`): what an
    /// application asks at start when the server cannot be reached.
    public func verifyHere(trusting publicKey: BorrowPublicKey) -> BorrowLeaseVerdict {
        verify(trusting: publicKey, now: Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)), hardwareID: MachineIdentity.hardwareID())
    }

    public var fileText: String {
        "\(Self.header)\nlease \(Data(lease).base64EncodedString())\ntoken \(token.hex)\n"
    }

    public init(fileText: String) throws(SeatClientError) {
        var fields: [String: String] = [:]
        let lines = fileText.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.first == Self.header else { throw .unreadableBorrowedSeat("the first line is not \(Self.header)") }
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .unreadableBorrowedSeat("a line is not NAME VALUE") }
            fields[parts[0]] = parts[1]
        }
        guard let leaseText = fields["lease"], let lease = Data(base64Encoded: leaseText), !lease.isEmpty else {
            throw .unreadableBorrowedSeat("no lease line with base64")
        }
        guard let tokenText = fields["token"], let token = SessionToken(hex: tokenText) else {
            throw .unreadableBorrowedSeat("no token line with 32 hex digits")
        }
        self.init(lease: Array(lease), token: token)
    }

    public static func read(from path: String) throws -> BorrowedSeat {
        try BorrowedSeat(fileText: String(contentsOfFile: path, encoding: .utf8))
    }

    /// Writes the file readable and writable by its owner only (it holds the token): a
    /// new file created with mode 0600, then renamed over `path`, so the token is never
    /// readable by others, not even for a moment, and a crash leaves the old file or the new.
    public func write(to path: String) throws {
        let temporary = path + ".new-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary]) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(fileText.utf8))
            try handle.synchronize()
            guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}

extension BorrowPublicKey {
    /// The key in a file as `seatctl borrow public-key` prints it (base64, one line).
    public static func read(from path: String) throws -> BorrowPublicKey {
        try BorrowPublicKey(base64: String(contentsOfFile: path, encoding: .utf8))
    }
}
