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
    case notAuthorized = 8
    case notFound = 9
    case rejected = 10

    static var documentation: String {
        "0 success; 1 other failure; 3 no seat free; 4 license unknown, expired, suspended or revoked; "
            + "5 session unknown, expired, released or revoked (acquire again); 6 server unreachable or TLS failure; "
            + "7 server-side error (e.g. storage full); 8 not authorized: access key refused or throttled, "
            + "not an admin, or no permission on the admin socket; 9 not found (admin: no such license, tenant, key or session); "
            + "10 rejected (admin: conflicts with the current state, license not verified, invalid request). 64 marks a usage error. "
            + "seatctl run exits with the command's status (128+N if signal N killed it; 127/126 if it could not be started)."
    }

    init(_ reply: ErrorReply) {
        switch reply.code {
        case .noSeats: self = .noSeats
        case .unknownLicense, .licenseExpired, .licenseSuspended, .licenseRevoked: self = .licenseUnusable
        case .unknownSession, .sessionExpired, .sessionReleased, .sessionRevoked: self = .sessionGone
        case .storageFull, .storageFailure, .shuttingDown, .internalError: self = .serverError
        case .authenticationFailed, .authenticationRequired, .authenticationThrottled, .notAuthorized: self = .notAuthorized
        case .notFound: self = .notFound
        case .conflict, .licenseNotVerified, .invalidAdminRequest: self = .rejected
        default: self = .failure
        }
    }

    var exitCode: ExitCode { ExitCode(rawValue) }
}
