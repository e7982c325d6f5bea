import Foundation
import SeatLicensing

/// The key file that signs offline leases: read if it exists, generated (mode 0600, never
/// briefly readable by others) if it does not and it is the state directory's default.
/// A configured `borrow_signing_key_file` that is missing is an error, not a new key: a
/// new key would make every lease already handed out fail to verify.
enum BorrowSigningKeyFile {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "borrow_signing_key_file \(path) does not exist" }
    }

    static func load(_ configuration: ServerConfiguration) throws -> (key: BorrowSigningKey, generated: Bool) {
        let path = configuration.borrowSigningKeyPath
        if FileManager.default.fileExists(atPath: path) {
            return (try BorrowSigningKey(pemText: String(contentsOfFile: path, encoding: .utf8)), false)
        }
        guard configuration.borrowSigningKeyFile.isEmpty else { throw Missing(path: path) }
        let key = BorrowSigningKey.generate()
        try FileWithMode.write(key.pemText, to: path, mode: 0o600)
        return (key, true)
    }
}
