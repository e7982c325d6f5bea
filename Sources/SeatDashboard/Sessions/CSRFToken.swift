/// The check of a form's CSRF token against its sign-in session's.
///
/// SameSite=Strict already keeps other sites' forms from carrying the session cookie; the
/// token is the second lock, for browsers or proxies that do not honour SameSite.
public enum CSRFToken {
    /// Whether `presented` is the session's token, compared in time independent of where
    /// they differ (a timing difference would let an attacker guess it digit by digit).
    public static func matches(_ presented: String?, expected: String) -> Bool {
        guard let presented else { return false }
        let a = Array(presented.utf8), b = Array(expected.utf8)
        guard a.count == b.count, !b.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
