import Foundation
import NIOSSL

/// Where and how a client reaches a seat server.
public struct SeatClientConfiguration: Sendable {
    /// Server host name or IP literal.
    public var host: String
    public var port: Int
    /// PEM file of the CA that signed the server's certificate (the site CA, or the
    /// development CA seatd generated in `<state_directory>/tls/ca.pem`).
    public var trustRootsFile: String
    /// Name to verify in the server certificate when it differs from `host`.
    public var serverName: String?
    public var connectTimeout: Duration
    /// How long to wait for each reply before failing the request with `timedOut`.
    public var requestTimeout: Duration
    /// Sent in Hello; appears in server logs.
    public var clientName: String

    public init(
        host: String,
        port: Int = 7420,
        trustRootsFile: String,
        serverName: String? = nil,
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(15),
        clientName: String = "seatclient"
    ) {
        self.host = host
        self.port = port
        self.trustRootsFile = trustRootsFile
        self.serverName = serverName
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.clientName = clientName
    }

    func makeTLSContext() throws -> NIOSSLContext {
        guard let pem = FileManager.default.contents(atPath: trustRootsFile) else {
            throw SeatClientError.trustRootsUnreadable(trustRootsFile)
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .fullVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem)))
        return try NIOSSLContext(configuration: tls)
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
