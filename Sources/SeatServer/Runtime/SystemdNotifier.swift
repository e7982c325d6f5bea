import Glibc

/// Talks the sd_notify protocol without libsystemd: one datagram per message to the
/// Unix socket named by `$NOTIFY_SOCKET`. Without that variable (not started by
/// systemd with `Type=notify`) there is no notifier, and nothing is sent.
///
/// The datagram socket is opened once, at start: a notifier that opened one per message
/// could not send WATCHDOG=1 while every descriptor is in use, and systemd would kill a
/// daemon that is only busy.
final class SystemdNotifier: Sendable {
    let address: SystemdNotifySocketAddress
    private let descriptor: Int32

    init(address: SystemdNotifySocketAddress) {
        self.address = address
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    convenience init?(environment: [String: String]) {
        guard let value = environment["NOTIFY_SOCKET"], let address = SystemdNotifySocketAddress(value) else { return nil }
        self.init(address: address)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Sends `state` (e.g. "READY=1\nSTATUS=serving"). Never blocks: a full socket queue
    /// (net.unix.max_dgram_qlen) drops the message instead of stalling the daemon.
    @discardableResult
    func notify(_ state: String) -> Bool {
        guard descriptor >= 0 else { return false }
        let bytes = Array(state.utf8)
        let sent = address.withSockaddr { pointer, length in
            bytes.withUnsafeBytes { buffer in
                sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), pointer, length)
            }
        }
        return sent == bytes.count
    }

    /// How often to send WATCHDOG=1: half of `$WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    /// advises, and only when `$WATCHDOG_PID` is unset or names this process (a child
    /// started by the service must not ping for it).
    static func watchdogInterval(environment: [String: String], processID: Int32) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], Int32(pid) != processID { return nil }
        return .microseconds(Int64(clamping: microseconds / 2))
    }
}

/// The address in `$NOTIFY_SOCKET`: a filesystem path ("/run/systemd/notify") or, with
/// a leading '@', a name in the abstract namespace (the '@' becomes a NUL byte, and the
/// address length covers exactly the name, with no trailing NUL).
struct SystemdNotifySocketAddress: Equatable, Sendable {
    /// The bytes of `sun_path` that matter (for an abstract name, starting with NUL).
    let pathBytes: [UInt8]

    var isAbstract: Bool { pathBytes.first == 0 }

    init?(_ value: String) {
        var bytes = Array(value.utf8)
        switch bytes.first {
        case UInt8(ascii: "/"):
            // A path needs room for its terminating NUL.
            guard bytes.count < Self.pathCapacity, !bytes.contains(0) else { return nil }
        case UInt8(ascii: "@"):
            guard bytes.count > 1, bytes.count <= Self.pathCapacity else { return nil }
            bytes[0] = 0
        default:
            // Relative paths and vsock addresses are not used for services; refuse them.
            return nil
        }
        pathBytes = bytes
    }

    private static let pathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// The socket address length passed to sendto for this address.
    var socketLength: socklen_t {
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        return socklen_t(pathOffset + pathBytes.count + (isAbstract ? 0 : 1))
    }

    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { path in
            path.copyBytes(from: pathBytes)
        }
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socketLength) }
        }
    }
}
