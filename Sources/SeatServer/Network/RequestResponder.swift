import SeatProtocol

/// A reply to one request, and whether the connection must close after it is sent.
struct RequestOutcome: Sendable, Equatable {
    var reply: ServerMessage
    var closeAfterReply = false
}

/// What the connection layer needs from the rest of the server: an answer to each
/// request. The connection handler calls it on its event loop and never blocks on it.
protocol RequestResponder: Sendable {
    /// Answers `message`, sent with `requestID` on `link`. `completion` is called exactly
    /// once, from any thread; the connection hops back to its event loop to write the reply.
    func respond(to message: ClientMessage, requestID: UInt32, on link: ConnectionLink, completion: @escaping @Sendable (RequestOutcome) -> Void)
    /// `link` closed: what it waited for is given up.
    func connectionClosed(_ link: ConnectionLink)
}
