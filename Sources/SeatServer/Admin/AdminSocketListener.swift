import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The local admin channel: a Unix-domain socket, mode 0660, group `admin_socket_group`.
/// Whoever can open it is an administrator, so the file's permissions are the guard; no
/// TLS is needed on a local socket. Connections speak the same framing and Hello as the
/// client port, then AdminRequest.
final class AdminSocketListener: Service {
    private let path: String
    private let groupName: String
    private let connectionSettings: LiveValue<ClientListener.ConnectionSettings>
    private let services: ConnectionHandler.Services
    private let maximumFrameBytes: Int
    private let roster = ConnectionRoster()
    private let logger: Logger
    private let onListening: @Sendable (String) -> Void

    /// - Parameters:
    ///   - connectionSettings: the client port's; the admin socket uses its timeouts and
    ///     server info, with its own `maximumFrameBytes`.
    init(
        path: String,
        groupName: String,
        connectionSettings: LiveValue<ClientListener.ConnectionSettings>,
        services: ConnectionHandler.Services,
        maximumFrameBytes: Int,
        logger: Logger,
        onListening: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.path = path
        self.groupName = groupName
        self.connectionSettings = connectionSettings
        self.services = services
        self.maximumFrameBytes = maximumFrameBytes
        self.logger = logger
        self.onListening = onListening
    }

    func run() async throws {
        let listener = try await bind()
        defer { unlink(path) }
        try restrictPermissions()
        logger.notice("admin socket listening", metadata: ["path": "\(path)", "group": "\(groupName)"])
        onListening(path)
        try await roster.serveUntilShutdown(listener: listener)
    }

    private func bind() async throws -> any Channel {
        let connectionSettings = self.connectionSettings
        let services = self.services
        let maximumFrameBytes = self.maximumFrameBytes
        let roster = self.roster
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.writeBufferWaterMark, value: ConnectionHandler.replyBudget)
            .childChannelInitializer { channel in
                Self.peerPrincipal(of: channel).flatMapThrowing { principal in
                    var configuration = connectionSettings.value.machineConfiguration(admission: .adminSocket, usesTLS: false)
                    configuration.info.maximumFrameBytes = UInt32(clamping: maximumFrameBytes)
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(
                        configuration: configuration,
                        principal: principal,
                        maximumFrameBytes: maximumFrameBytes,
                        services: services,
                        now: channel.eventLoop.now
                    ))
                    roster.add(channel)
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true)
            .get()
    }

    /// The administrator as the audit names them: the Unix user of the process that
    /// connected (SO_PEERCRED), or `admin-socket` if the kernel does not say.
    private static func peerPrincipal(of channel: any Channel) -> EventLoopFuture<Principal> {
        guard let provider = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededFuture(.administrator) }
        let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: .socket, name: .init(rawValue: SO_PEERCRED))
        return credentials.map { peer -> Principal in
            Principal.socketAdministrator(uid: peer.uid, userName: userName(of: peer.uid))
        }.flatMapErrorWithEventLoop { _, eventLoop in eventLoop.makeSucceededFuture(Principal.administrator) }
    }

    /// Linux's `struct ucred` (not exported by Swift's Glibc module), as SO_PEERCRED fills it.
    private struct PeerCredentials: Sendable {
        var pid: Int32
        var uid: UInt32
        var gid: UInt32
    }

    private static func userName(of uid: uid_t) -> String? {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0, found != nil, let name = entry.pw_name else { return nil }
        return String(cString: name)
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
