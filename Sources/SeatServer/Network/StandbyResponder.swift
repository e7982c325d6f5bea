import SeatProtocol

/// The responder of a standby node (protocol-spec.md 9b): every request, Authenticate
/// included, is answered `notActive` with the address of the node believed active, so a
/// client moves on to it at once instead of waiting. Hello is answered by the connection
/// state machine as on any node (clients learn the versions and lease settings). Nothing
/// is changed or remembered; the connection stays open.
struct StandbyResponder: RequestResponder {
    /// The active node as its clients reach it (`host:port`), or "" while no node is active
    /// (a takeover is in progress). Read for every reply, so a change shows at once.
    let activeNode: @Sendable () -> String

    init(activeNode: @escaping @Sendable () -> String) {
        self.activeNode = activeNode
    }

    func respond(to message: ClientMessage, requestID: UInt32, on link: ConnectionLink, completion: @escaping @Sendable (RequestOutcome) -> Void) {
        completion(RequestOutcome(reply: .error(Self.refusal(activeNode: activeNode()))))
    }

    func connectionClosed(_ link: ConnectionLink) {}

    /// The `notActive` reply naming `activeNode` ("" for none).
    static func refusal(activeNode: String) -> ErrorReply {
        ErrorReply(
            code: .notActive,
            message: activeNode.isEmpty
                ? "this node is a standby and no node is active right now; try again shortly"
                : "this node is a standby; the active node is \(activeNode)",
            detail: .activeNode(address: activeNode)
        )
    }
}
