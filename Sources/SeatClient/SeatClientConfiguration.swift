import Foundation
import NIOSSL

/// Where and how a client reaches a seat server.
///
/// Several servers may be listed; they are tried in order, so the first is the preferred
/// one and the others are fallbacks. A lease that loses its connection starts again from
/// the first. A standby's `notActive` leads at once to the active node it names, but only
/// if that node is listed here (protocol-spec.md 9b).
public struct SeatClientConfiguration: Sendable {
    /// The servers to try, in order. Never empty.
    public var servers: [ServerEndpoint] {
        didSet { precondition(!servers.isEmpty, "a client configuration needs at least one server") }
    }
    /// PEM file of the CA that signed the server's certificate (the site CA, or the
    /// development CA seatd generated in `<state_directory>/tls/ca.pem`). It is read again
    /// on every connection, so a replaced CA file takes effect on the next reconnect.
    public var trustRootsFile: String
    /// How long to wait for the TCP connection to each server.
    public var connectTimeout: Duration
    /// How long to wait for each reply (and for the TLS handshake plus Hello) before
    /// failing the request with ``SeatClientError/timedOut``.
    public var requestTimeout: Duration
    /// Sent in Hello; appears in server logs.
    public var clientName: String
    /// The tenant's access key (`seatd_<id>_<secret>`, created with `seatctl key create`),
    /// presented in Authenticate right after Hello; `nil` connects anonymously, which only a
    /// server with an anonymous tenant accepts for seat requests.
    public var accessKey: String?

    /// The first server's host name or IP literal.
    public var host: String {
        get { servers[0].host }
        set { servers[0].host = newValue }
    }

    /// The first server's port.
    public var port: Int {
        get { servers[0].port }
        set { servers[0].port = newValue }
    }

    /// The name verified in the first server's certificate when it differs from `host`.
    public var serverName: String? {
        get { servers[0].serverName }
        set { servers[0].serverName = newValue }
    }

    /// Creates a configuration for a single server.
    public init(
        host: String,
        port: Int = 7420,
        trustRootsFile: String,
        serverName: String? = nil,
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(15),
        clientName: String = "seatclient",
        accessKey: String? = nil
    ) {
        self.init(
            servers: [ServerEndpoint(host: host, port: port, serverName: serverName)],
            trustRootsFile: trustRootsFile,
            connectTimeout: connectTimeout,
            requestTimeout: requestTimeout,
            clientName: clientName,
            accessKey: accessKey
        )
    }

    /// Creates a configuration for servers tried in order. `servers` must not be empty.
    public init(
        servers: [ServerEndpoint],
        trustRootsFile: String,
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(15),
        clientName: String = "seatclient",
        accessKey: String? = nil
    ) {
        precondition(!servers.isEmpty, "a client configuration needs at least one server")
        self.servers = servers
        self.trustRootsFile = trustRootsFile
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.clientName = clientName
        self.accessKey = accessKey
    }

    func makeTLSContext() throws -> NIOSSLContext {
        try Self.makeTLSContext(trustRootsFile: trustRootsFile)
    }

    /// The client TLS policy seatd expects: TLS 1.3 only, the server verified against the
    /// CA in `trustRootsFile`. Public for clients that drive their own channels (seatload).
    public static func makeTLSContext(trustRootsFile: String) throws -> NIOSSLContext {
        guard let pem = FileManager.default.contents(atPath: trustRootsFile) else {
            throw SeatClientError.trustRootsUnreadable(trustRootsFile)
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .fullVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem)))
        return try NIOSSLContext(configuration: tls)
    }
}
