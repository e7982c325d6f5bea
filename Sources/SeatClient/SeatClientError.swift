import SeatProtocol

/// Client-side failures. A refusal from the server is thrown as `ErrorReply` instead,
/// carrying the server's error code and detail.
public enum SeatClientError: Error, Equatable, CustomStringConvertible {
    /// The CA file (the path given) could not be read.
    case trustRootsUnreadable(String)
    /// The connection closed before the reply arrived.
    case connectionClosed
    /// No reply arrived within the request timeout.
    case timedOut
    /// The server answered with a message that does not fit the request.
    case unexpectedReply(String)
    /// No configured server could be reached; the text names each server's failure.
    case unreachable(String)
    /// A borrowed-seat file (`BorrowedSeat`) that cannot be read; says what is wrong.
    case unreadableBorrowedSeat(String)

    /// A sentence for logs and users.
    public var description: String {
        switch self {
        case .trustRootsUnreadable(let path): "cannot read the CA file \(path)"
        case .connectionClosed: "the connection to the seat server closed"
        case .timedOut: "the seat server did not answer in time"
        case .unexpectedReply(let what): "unexpected reply from the seat server: \(what)"
        case .unreachable(let what): "no seat server could be reached: \(what)"
        case .unreadableBorrowedSeat(let reason): "not a borrowed-seat file: \(reason)"
        }
    }
}
