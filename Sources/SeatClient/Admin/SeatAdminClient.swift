import Foundation
import NIOCore
import NIOPosix
import SeatProtocol

/// An administrator's connection to seatd: the admin Unix-domain socket (whoever may open
/// it is an administrator), or the TLS client port authenticated with an admin access key.
/// Sends admin operations as JSON (docs/admin-protocol.md) and decodes the replies.
/// Refusals are thrown as `ErrorReply` (`notAuthorized`, `notFound`, `conflict`, ...).
public final class SeatAdminClient: Sendable {
    private let connection: SeatConnection

    private init(connection: SeatConnection) {
        self.connection = connection
    }

    /// Connects to the admin socket at `path` and completes Hello.
    public static func connect(
        unixDomainSocketPath path: String,
        requestTimeout: Duration = .seconds(15),
        clientName: String = "seatadmin",
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SeatAdminClient {
        SeatAdminClient(connection: try await SeatConnection.connect(
            unixDomainSocketPath: path, clientName: clientName, requestTimeout: requestTimeout, eventLoopGroup: eventLoopGroup
        ))
    }

    /// Connects over TLS to the configured servers in order, authenticating with
    /// `configuration.accessKey`, which must be an admin key (the server answers admin
    /// requests on any other connection with `notAuthorized`). A standby (`notActive`) is
    /// left for the active node it names, if configured (protocol-spec.md 9b).
    public static func connect(
        _ configuration: SeatClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SeatAdminClient {
        // A refused key ends the search: every server shares the keys.
        let (connection, _) = try await SeatConnection.connectToActive(
            configuration, maximumFrameBytes: SeatConnection.adminMaximumFrameBytes, refusalEndsSearch: true,
            eventLoopGroup: eventLoopGroup
        ) { _ in }
        return SeatAdminClient(connection: connection)
    }

    /// What the server said in Authenticated, or nil on the admin socket.
    public var authenticated: Authenticated? { connection.authenticated }

    /// Performs an operation and returns its decoded reply together with the reply's JSON
    /// text as the server sent it (for output that passes it on unchanged).
    public func perform<Operation: AdminOperation>(_ operation: Operation) async throws -> AdminResponse<Operation.Reply> {
        let json = try await send(json: try Self.encode(operation))
        do {
            return AdminResponse(reply: try AdminJSON.decoder().decode(Operation.Reply.self, from: Data(json.utf8)), json: json)
        } catch {
            throw SeatClientError.unexpectedReply("the \(operation.op) reply does not match docs/admin-protocol.md: \(error)")
        }
    }

    /// Sends a request's JSON text as is and returns the reply's JSON text.
    public func send(json: String) async throws -> String {
        try await connection.admin(AdminRequest(json: json))
    }

    /// Closes the connection.
    public func close() async {
        await connection.close()
    }

    /// The request's JSON: the operation's members and its `"op"`.
    public static func encode<Operation: AdminOperation>(_ operation: Operation) throws -> String {
        String(decoding: try AdminJSON.encoder().encode(AdminRequestEnvelope(operation: operation)), as: UTF8.self)
    }
}

/// A decoded admin reply and its JSON text.
public struct AdminResponse<Reply: Sendable>: Sendable {
    public var reply: Reply
    /// The reply exactly as the server sent it.
    public var json: String
}
