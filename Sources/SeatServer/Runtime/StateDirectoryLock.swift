import Foundation
import Glibc

/// One seatd per state directory: an exclusive `flock` on `<state_directory>/seatd.lock`,
/// taken before the store, the TLS files or the admin socket are touched, and held until
/// the process exits (the kernel drops it on any exit, `kill -9` included). Two daemons
/// on one store would each believe they own every seat.
final class StateDirectoryLock: Sendable {
    let path: String
    private let descriptor: Int32

    enum Failure: Error, CustomStringConvertible {
        case heldByAnother(path: String, holder: String)
        case cannotOpen(path: String, String)

        var description: String {
            switch self {
            case .heldByAnother(let path, let holder):
                "another seatd (\(holder)) is using this state directory (lock \(path)); stop it first, or give this one its own state_directory"
            case .cannotOpen(let path, let reason):
                "cannot open the state directory lock \(path): \(reason)"
            }
        }
    }

    /// Takes the lock or throws naming the process that holds it.
    init(stateDirectory: String) throws(Failure) {
        path = stateDirectory + "/seatd.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.readHolder(descriptor)
            close(descriptor)
            if reason == EWOULDBLOCK { throw .heldByAnother(path: path, holder: holder.map { "pid \($0)" } ?? "pid unknown") }
            throw .cannotOpen(path: path, String(cString: strerror(reason)))
        }
        // The holder's pid, for the message a second daemon prints.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        close(descriptor)
    }

    private static func readHolder(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
