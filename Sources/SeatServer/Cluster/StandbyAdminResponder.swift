import SeatProtocol

/// The admin socket of a standby: `status` answers with the node's place in its group
/// (and no licenses: a standby serves none), so `seatctl status` shows which node is
/// active; every other request is refused like a client's, naming the active node.
struct StandbyAdminResponder: RequestResponder {
    let cluster: ClusterState

    func respond(to message: ClientMessage, requestID: UInt32, on link: ConnectionLink, completion: @escaping @Sendable (RequestOutcome) -> Void) {
        let status = cluster.current
        if case .admin(let request) = message, link.principal?.isAdministrator == true,
           let arguments = try? AdminArguments(json: request.json), arguments.operation == "status" {
            return completion(RequestOutcome(reply: .adminReply(json: AdminJSON.encode(["licenses": [Any](), "cluster": status.json]))))
        }
        completion(RequestOutcome(reply: .error(StandbyResponder.refusal(activeNode: status.activeAddress))))
    }

    func connectionClosed(_ link: ConnectionLink) {}
}
