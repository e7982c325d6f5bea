import Crypto
import Foundation
import SeatCore

/// How administrators name a session: the first 8 bytes of SHA-256 of its token, in hex.
/// Stable and unique enough to act on, and it does not reveal the token (the holder's
/// secret), so listing sessions never hands out the means to heartbeat or release them.
struct SessionID: Sendable, Equatable {
    let hex: String

    init(_ token: SessionToken) {
        hex = SHA256.hash(data: token.bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
