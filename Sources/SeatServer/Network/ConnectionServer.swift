import Logging
import NIOCore
import SeatProtocol
import ServiceLifecycle

/// Serves the protocol on one connection, TLS client or admin socket alike: one request
/// at a time (so replies keep request order), Hello first, then requests for the
/// connection's principal. Server-initiated frames reach the connection through its
/// `ConnectionLink`.
struct ConnectionServer: Sendable {
    let dispatcher: RequestDispatcher
    let connections: ConnectionDirectory
    let serverInfo: @Sendable () -> ConnectionStateMachine.ServerInfo
    let logger: Logger

    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ServerFrame>, principal: Principal?) async {
        let peer = connection.channel.remoteAddress?.ipAddress ?? "local"
        let link = ConnectionLink(channel: connection.channel, peerAddress: peer, principal: principal)
        connections.register(link)
        defer { connections.unregister(link) }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var machine = ConnectionStateMachine(info: serverInfo())
                do {
                    for try await body in inbound.cancelOnGracefulShutdown() {
                        switch machine.received(Result { () throws(WireError) in try ClientFrame(decoding: body) }) {
                        case .reply(let frame):
                            try await outbound.write(frame)
                        case .replyAndClose(let frame):
                            try await outbound.write(frame)
                            return
                        case .dispatch(let requestID, let message):
                            let outcome = await withCheckedContinuation { continuation in dispatcher.respond(to: message, on: link) { continuation.resume(returning: $0) } }
                            try await outbound.write(ServerFrame(requestID: requestID, message: outcome.reply))
                            if outcome.closeAfterReply { return }
                        }
                    }
                    if Task.isShuttingDownGracefully {
                        try await outbound.write(ServerFrame(
                            requestID: WireConstants.serverPushRequestID,
                            message: .error(ErrorReply(code: .shuttingDown, message: "the server is shutting down"))
                        ))
                    }
                } catch let error as WireError {
                    // A framing error: the byte stream cannot be resynchronised, so say why and close.
                    logger.info("closing connection after a framing error", metadata: ["peer": "\(peer)", "error": "\(error.reason)"])
                    try await outbound.write(ConnectionStateMachine.error(error))
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }
}
