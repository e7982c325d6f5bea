import Foundation
import SeatCore

/// What the admin channel (`seatctl license import`) and the licenses_file loader call:
/// a license document's bytes in, verified licenses out.
public enum LicenseImport {
    /// Parses and verifies the whole document; any invalid or unverified entry rejects it,
    /// with a message naming the JSON path or the license key.
    public static func verify(documentData: Data, verifier: LicenseVerifier, origin: LicenseOrigin) throws(LicenseDocumentError) -> [License] {
        try verifier.licenses(from: LicenseDocument.parse(documentData), origin: origin)
    }
}
