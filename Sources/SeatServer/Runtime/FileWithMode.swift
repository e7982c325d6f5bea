import Foundation

/// Writes a file created with its final mode, so a private key is never briefly readable by
/// others (as it would be if written first and restricted afterwards).
enum FileWithMode {
    static func write(_ text: String, to path: String, mode: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode_t(mode))
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard result > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
            written += result
        }
    }
}
