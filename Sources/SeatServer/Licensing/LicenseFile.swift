import Foundation
import SeatCore
import SeatLicensing

/// The `licenses_file`: read at start and on SIGHUP, parsed and verified by SeatLicensing
/// (docs/license-files.md). Its licenses have origin `.file`.
public enum LicenseFile {
    public static func load(path: String, verifier: LicenseVerifier) throws(LicenseFileError) -> [License] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        do {
            return try LicenseImport.verify(documentData: data, verifier: verifier, origin: .file)
        } catch {
            throw .rejected(path, error)
        }
    }
}

public enum LicenseFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    /// A field is invalid or a license does not verify; the whole file is refused.
    case rejected(String, LicenseDocumentError)

    public var description: String {
        switch self {
        case .unreadable(let file): "cannot read license file \(file)"
        case .rejected(let file, let error): "\(error) (in \(file))"
        }
    }
}
