import SeatProtocol

extension ErrorReply {
    /// The address a `notActive` reply names as the active node (`host:port`); "" when it
    /// names none (a takeover is in progress, or the detail is missing or unreadable); nil
    /// for any other reply.
    public var activeNode: String? {
        guard code == .notActive else { return nil }
        if case .activeNode(let address) = detail { return address }
        return ""
    }

    /// The reply with a sentence naming `server` and the active node in place of the
    /// server's message, when it is `notActive`; any other reply as it is.
    func naming(standby server: String) -> ErrorReply {
        guard let activeNode else { return self }
        var reply = self
        reply.message = activeNode.isEmpty
            ? "\(server) is a standby and no node is active right now (a takeover may be in progress)"
            : "\(server) is a standby; the active node is \(activeNode)"
        return reply
    }
}

extension ServerEndpoint {
    /// Whether `address` (as a `notActive` detail gives it) names this endpoint: the same
    /// `host:port` text, the host compared without regard to case. IPv6 literals must be
    /// written alike (protocol-spec.md 9b).
    func isNamed(by address: String) -> Bool {
        description.lowercased() == address.lowercased()
    }
}
