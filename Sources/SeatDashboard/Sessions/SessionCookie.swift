/// The session cookie: its `Set-Cookie` values and finding it in a `Cookie` header.
public enum SessionCookie {
    public static let name = "seatd_session"

    /// HttpOnly (no script reads it), SameSite=Strict (no other site's request carries it),
    /// Secure when the dashboard is served over TLS, and no longer lived than the session.
    public static func setCookie(_ id: String, maxAgeSeconds: Int64, secure: Bool) -> String {
        "\(name)=\(id); Path=/; Max-Age=\(maxAgeSeconds); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// Tells the browser to drop the cookie (sign-out).
    public static func clearCookie(secure: Bool) -> String {
        setCookie("", maxAgeSeconds: 0, secure: secure)
    }

    /// The session id in a `Cookie` header, if it holds ours.
    public static func sessionID(inCookieHeader header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingWhitespace == name else { continue }
            let value = String(parts[1].trimmingWhitespace)
            return value.isEmpty ? nil : value
        }
        return nil
    }
}

extension Substring {
    fileprivate var trimmingWhitespace: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
