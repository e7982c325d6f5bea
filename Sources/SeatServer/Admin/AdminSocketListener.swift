import Foundation
import Logging
import NIOCore
import NIOPosix
import SeatProtocol
import ServiceLifecycle

/// The local admin channel: a Unix-domain socket, mode 0660, group `admin_socket_group`.
/// Whoever can open it is an administrator, so the file's permissions are the guard; no
/// TLS is needed on a local socket. Connections speak the same framing and Hello as the
/// client port, then AdminRequest.
final class AdminSocketListener: Service {
    private let path: String
    private let groupName: String
    private let server: ConnectionServer
    private let maximumFrameBytes: Int
    private let logger: Logger
    private let onListening: @Sendable (String) -> Void

    init(path: String, groupName: String, server: ConnectionServer, maximumFrameBytes: Int, logger: Logger, onListening: @escaping @Sendable (String) -> Void = { _ in }) {
        self.path = path
        self.groupName = groupName
        self.server = server
        self.maximumFrameBytes = maximumFrameBytes
        self.logger = logger
        self.onListening = onListening
    }

    func run() async throws {
        let maximumFrameBytes = self.maximumFrameBytes
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrameBytes: maximumFrameBytes)))
                    try pipeline.addHandler(MessageToByteHandler(ServerFrameEncoder()))
                    return try NIOAsyncChannel<ByteBuffer, ServerFrame>(wrappingChannelSynchronously: channel)
                }
            }
        defer { unlink(path) }
        try restrictPermissions()
        logger.notice("admin socket listening", metadata: ["path": "\(path)", "group": "\(groupName)"])
        onListening(path)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.server.serve(connection, principal: .administrator) }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
    }

    /// Mode 0660 and, when the group exists, that group: the owner (seatd) and the
    /// group's members may connect, nobody else.
    private func restrictPermissions() throws {
        if !groupName.isEmpty {
            if let group = getgrnam(groupName) {
                guard chown(path, uid_t.max, group.pointee.gr_gid) == 0 else {
                    throw AdminSocketError(path: path, reason: "cannot give it to group \(groupName): \(String(cString: strerror(errno)))")
                }
            } else {
                logger.warning("admin_socket_group does not exist; only seatd's own user can use the admin socket", metadata: ["group": "\(groupName)"])
            }
        }
        guard chmod(path, 0o660) == 0 else {
            throw AdminSocketError(path: path, reason: "cannot set mode 0660: \(String(cString: strerror(errno)))")
        }
    }
}

struct AdminSocketError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "admin socket \(path): \(reason)" }
}
