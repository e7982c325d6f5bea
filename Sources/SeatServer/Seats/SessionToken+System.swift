import Glibc
import SeatCore

extension SessionToken {
    /// A fresh token from the kernel CSPRNG in one 16-byte fill: glibc's `arc4random_buf`
    /// reads `getrandom` and cannot fail (the generator API would make two calls).
    static func fromSystemRandom() -> SessionToken {
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { arc4random_buf($0.baseAddress!, $0.count) }
        return SessionToken(high: words.0, low: words.1)
    }
}
