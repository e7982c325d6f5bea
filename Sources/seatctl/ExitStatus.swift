import ArgumentParser
import SeatClient
import SeatProtocol

/// seatctl's exit codes, stable for scripts.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    case failure = 1
    case noSeats = 3
    case licenseUnusable = 4
    case sessionGone = 5
    case unreachable = 6
    case serverError = 7
    /// seatctl license verify: a license file did not parse or a license did not verify.
    case licenseRejected = 8

    static var documentation: String {
        "0 success; 1 other failure; 3 no seat free; 4 license unknown, expired, suspended or revoked; "
            + "5 session unknown, expired, released or revoked (acquire again); 6 server unreachable or TLS failure; "
            + "7 server-side error (e.g. storage full); 8 a license file or license did not verify (seatctl license verify). "
            + "64 marks a usage error. "
            + "seatctl run exits with the command's status (128+N if signal N killed it; 127/126 if it could not be started)."
    }

    init(_ reply: ErrorReply) {
        switch reply.code {
        case .noSeats: self = .noSeats
        case .unknownLicense, .licenseExpired, .licenseSuspended, .licenseRevoked: self = .licenseUnusable
        case .unknownSession, .sessionExpired, .sessionReleased, .sessionRevoked: self = .sessionGone
        case .storageFull, .storageFailure, .shuttingDown, .internalError: self = .serverError
        default: self = .failure
        }
    }

    var exitCode: ExitCode { ExitCode(rawValue) }
}
