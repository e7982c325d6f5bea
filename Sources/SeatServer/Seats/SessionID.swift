import Crypto
import SeatCore

/// How administrators name a session: the first 8 bytes of SHA-256 of its token, in hex.
/// Stable and unique enough to act on, and it does not reveal the token (the holder's
/// secret), so listing sessions never hands out the means to heartbeat or release them.
struct SessionID: Sendable, Equatable {
    let hex: String

    init(_ token: SessionToken) {
        // Built on every grant and end (audit events): a digit table, not String(format:).
        let digest = SHA256.hash(data: token.bytes)
        hex = String(unsafeUninitializedCapacity: 16) { buffer in
            for (index, byte) in digest.prefix(8).enumerated() {
                buffer[2 * index] = Self.digits[Int(byte >> 4)]
                buffer[2 * index + 1] = Self.digits[Int(byte & 0x0f)]
            }
            return 16
        }
    }

    private static let digits = Array("0123456789abcdef".utf8)
}
