import Foundation

/// One seat server a client may connect to.
public struct ServerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP literal.
    public var host: String
    /// TCP port; seatd's default is 7420.
    public var port: Int
    /// Name to verify in the server certificate when it differs from `host`.
    public var serverName: String?

    /// Creates an endpoint.
    public init(host: String, port: Int = 7420, serverName: String? = nil) {
        self.host = host
        self.port = port
        self.serverName = serverName
    }

    /// `host:port`, with brackets around an IPv6 literal.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// SNI and verification name; nil for an IP literal (verified against the certificate's IP SANs).
    var verificationHostname: String? {
        let name = serverName ?? host
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1 { return nil }
        return name
    }
}
