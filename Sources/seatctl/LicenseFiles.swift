import ArgumentParser
import Foundation
import SeatLicensing

/// Reading and writing the files of the `seatctl license` commands, with failures
/// reported as "seatctl: ..." and exit status 1.
enum LicenseFiles {
    static func read(_ path: String, what: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail("cannot read the \(what) \(path)")
        }
        return data
    }

    static func signingKey(_ path: String) throws -> VendorSigningKey {
        do {
            return try VendorSigningKey(pemText: String(decoding: read(path, what: "private key"), as: UTF8.self))
        } catch let error as VendorKeyError {
            throw fail("\(path): \(error)")
        }
    }

    static func publicKey(_ path: String) throws -> VendorPublicKey {
        do {
            return try VendorPublicKey(base64: String(decoding: read(path, what: "public key"), as: UTF8.self))
        } catch let error as VendorKeyError {
            throw fail("\(path): \(error)")
        }
    }

    /// Creates `path` with `mode`, refusing to replace an existing file (O_EXCL), so a
    /// vendor key is never overwritten by accident and never briefly world-readable.
    static func create(_ path: String, contents: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw fail(errno == EEXIST ? "\(path) exists; not overwriting it" : "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data(contents.utf8))
        try handle.synchronize()
    }

    static func fail(_ message: String) -> ExitCode {
        Output.note(message)
        return ExitStatus.failure.exitCode
    }
}
