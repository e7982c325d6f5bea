import Crypto
import Foundation

/// The text forms of Ed25519 keys that seatd reads and writes: a public key as the base64
/// of its raw 32 bytes, a private key as that base64 between an armour header and footer.
enum Ed25519KeyText {
    /// Surrounding whitespace (a trailing newline in a file) is ignored.
    static func publicKey(base64 text: String) -> Curve25519.Signing.PublicKey? {
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    /// The key between `header` and `footer`, or why there is none.
    static func privateKey(armoured text: String, header: String, footer: String) -> Result<Curve25519.Signing.PrivateKey, VendorKeyError> {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard lines.first == header, lines.last == footer, lines.count >= 3 else {
            return .failure(.malformedPrivateKey("expected \(header) ... \(footer)"))
        }
        guard let raw = Data(base64Encoded: lines.dropFirst().dropLast().joined()), raw.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            return .failure(.malformedPrivateKey("the body must be the base64 of 32 bytes"))
        }
        return .success(key)
    }

    static func armoured(_ key: Curve25519.Signing.PrivateKey, header: String, footer: String) -> String {
        "\(header)\n\(key.rawRepresentation.base64EncodedString())\n\(footer)\n"
    }
}
