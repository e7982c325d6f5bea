/// The servers tried since the client last got a useful answer, and which to try next
/// (protocol-spec.md 9b). Pure. A round tries each configured server at most once, so
/// standbys that name each other, or a takeover in which every server says `notActive`,
/// end the round (the caller backs off) instead of spinning.
struct ServerRound: Sendable, Equatable {
    let servers: [ServerEndpoint]
    private var tried: Set<Int> = []

    init(servers: [ServerEndpoint]) {
        precondition(!servers.isEmpty)
        self.servers = servers
    }

    /// After `server` failed or said it is a standby naming `activeNode` (nil or "" for
    /// none): the named node if it is a configured server not yet tried, else the next
    /// configured server not yet tried (after `server`, wrapping around); nil when every
    /// server has been tried this round.
    mutating func next(after server: Int, activeNode: String? = nil) -> Int? {
        tried.insert(server)
        if let activeNode, !activeNode.isEmpty,
            let named = servers.indices.first(where: { servers[$0].isNamed(by: activeNode) }), !tried.contains(named)
        {
            return named
        }
        let (tried, count) = (tried, servers.count)
        return (1..<count).lazy.map { (server + $0) % count }.first { !tried.contains($0) }
    }

    /// A useful answer came, or the caller backs off: the next round may try every server again.
    mutating func startOver() {
        tried = []
    }
}
