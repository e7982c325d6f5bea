import SeatProtocol

/// Temporary bridge until the dispatcher answers through callbacks itself (the seats
/// branch replaces this file): runs the async answer in a Task.
extension RequestDispatcher: RequestResponder {
    func respond(to message: ClientMessage, on link: ConnectionLink, completion: @escaping @Sendable (RequestOutcome) -> Void) {
        Task {
            let outcome = await respond(to: message, on: link)
            completion(RequestOutcome(reply: outcome.reply, closeAfterReply: outcome.closeAfterReply))
        }
    }
}
