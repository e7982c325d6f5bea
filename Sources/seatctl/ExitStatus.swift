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
    /// seatctl license verify: a license file did not parse or a license did not verify;
    /// license import/add: the server found a signature that does not verify.
    case licenseRejected = 8
    /// The access key was refused or throttled, the key is not an admin's, or there is no
    /// permission on the admin socket.
    case notAuthorized = 9
    /// Admin: no such license, tenant, key or session.
    case notFound = 10
    /// Admin: the request conflicts with the current state, or is invalid.
    case rejected = 11
    /// The site policy refuses this user or host a seat (excluded, not included, over a
    /// maximum, free seats reserved for others); seatctl policy check: the file has errors.
    case policyDenied = 12
    /// seatctl borrow show-lease: the offline lease is not valid here now (expired, for
    /// another machine, not signed by the trusted key, or unreadable).
    case offlineLeaseInvalid = 20

    static var documentation: String {
        "0 success; 1 other failure; 3 no seat free; 4 license unknown, expired, suspended or revoked; "
            + "5 session unknown, expired, released or revoked (acquire again); 6 server unreachable or TLS failure, or every server reached is a standby; "
            + "7 server-side error (e.g. storage full); 8 a license file or license did not verify (seatctl license verify, "
            + "or the server refused an imported license's signature); 9 not authorized: access key refused or throttled, "
            + "not an admin, or no permission on the admin socket; 10 not found (admin: no such license, tenant, key or session); "
            + "11 rejected (admin: conflicts with the current state, or an invalid request); 12 refused by the site policy "
            + "(seatctl policy check: the policy file has errors); 20 the offline lease is not valid here now (seatctl borrow show-lease). "
            + "64 marks a usage error. "
            + "seatctl run exits with the command's status (128+N if signal N killed it; 127/126 if it could not be started)."
    }

    init(_ reply: ErrorReply) {
        switch reply.code {
        case .noSeats: self = .noSeats
        case .policyDenied: self = .policyDenied
        case .unknownLicense, .licenseExpired, .licenseSuspended, .licenseRevoked: self = .licenseUnusable
        case .unknownSession, .sessionExpired, .sessionReleased, .sessionRevoked: self = .sessionGone
        case .storageFull, .storageFailure, .shuttingDown, .internalError: self = .serverError
        case .licenseNotVerified: self = .licenseRejected
        case .authenticationFailed, .authenticationRequired, .authenticationThrottled, .notAuthorized: self = .notAuthorized
        case .notActive: self = .unreachable  // every server tried is a standby
        case .notFound: self = .notFound
        case .conflict, .invalidAdminRequest: self = .rejected
        default: self = .failure
        }
    }

    var exitCode: ExitCode { ExitCode(rawValue) }
}
