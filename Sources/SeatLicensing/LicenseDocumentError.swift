/// Why a license document, or one license in it, is refused. Every message names the
/// JSON path or the license key, so an administrator knows what to fix.
public enum LicenseDocumentError: Error, Equatable, CustomStringConvertible {
    /// The JSON is malformed or a field is out of its limits; `path` is like `licenses[2].seats`.
    case invalid(path: String, String)
    /// Unsigned, and the verifier does not accept unsigned licenses (production mode).
    case unsigned(license: String)
    /// Signed by a key that is not among the trusted vendor keys.
    case untrustedKey(license: String, keyID: String)
    /// The signature does not match the signed fields: they were edited after signing
    /// (or the signature was).
    case signatureMismatch(license: String, keyID: String)

    public var description: String {
        switch self {
        case .invalid(let path, let reason):
            "license file: \(path.isEmpty ? "document" : path) \(reason)"
        case .unsigned(let license):
            "license \(license): is unsigned; unsigned licenses are accepted only with development_mode = true"
        case .untrustedKey(let license, let keyID):
            "license \(license): is signed by vendor key \(keyID) which is not among vendor_public_keys"
        case .signatureMismatch(let license, let keyID):
            "license \(license): the signature does not verify with vendor key \(keyID): "
                + "a signed field (key, tenant, seats, overage, seat_counting, tier, features, expires, issued, serial) was changed after signing"
        }
    }
}
