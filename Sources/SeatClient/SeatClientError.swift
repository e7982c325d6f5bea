import SeatProtocol

/// Client-side failures. A refusal from the server is thrown as `ErrorReply` instead,
/// carrying the server's error code and detail.
public enum SeatClientError: Error, Equatable, CustomStringConvertible {
    case trustRootsUnreadable(String)
    case connectionClosed
    case timedOut
    /// The server answered with a message that does not fit the request.
    case unexpectedReply(String)

    public var description: String {
        switch self {
        case .trustRootsUnreadable(let path): "cannot read the CA file \(path)"
        case .connectionClosed: "the connection to the seat server closed"
        case .timedOut: "the seat server did not answer in time"
        case .unexpectedReply(let what): "unexpected reply from the seat server: \(what)"
        }
    }
}
