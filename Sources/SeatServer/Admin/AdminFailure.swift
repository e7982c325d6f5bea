import SeatProtocol
import SeatStorage

/// Why an admin request did not succeed; each case is one wire error code.
enum AdminFailure: Error, Equatable {
    /// Unparsable JSON, an unknown op, a missing or mistyped member.
    case invalidRequest(String)
    case notFound(String)
    case conflict(String)
    /// A license signature did not verify (or unsigned outside development mode).
    case notVerified(String)
    case storage(StorageError)
}

extension ErrorReply {
    init(_ failure: AdminFailure) {
        switch failure {
        case .invalidRequest(let message): self.init(code: .invalidAdminRequest, message: message)
        case .notFound(let message): self.init(code: .notFound, message: message)
        case .conflict(let message): self.init(code: .conflict, message: message)
        case .notVerified(let message): self.init(code: .licenseNotVerified, message: message)
        case .storage(let error): self.init(SeatFailure.storage(error))
        }
    }
}
