import Foundation
import Glibc
import Synchronization

/// What systemd is to a `Type=notify` service: a Unix datagram socket whose path goes
/// into the child's NOTIFY_SOCKET, collecting every message it is sent.
final class NotifySocketListener: Sendable {
    let path: String
    private let descriptor: Int32
    private let received = Mutex<[String]>([])

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-notify-\(UUID().uuidString.prefix(8))").path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw ProbeError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw ProbeError("bind \(path): errno \(errno)") }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// Every message received so far, in order.
    var messages: [String] {
        received.withLock { messages in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count <= 0 { break }
                messages.append(String(decoding: buffer[..<count], as: UTF8.self))
            }
            return messages
        }
    }

    /// Waits until some message satisfies `predicate`; returns all messages by then.
    func wait(timeout: Duration = .seconds(30), until predicate: ([String]) -> Bool) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = messages
            if predicate(current) { return current }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProbeError("notify messages so far: \(messages)")
    }
}
