import NIOCore
import NIOPosix

/// Why connecting to one server failed, told as a sentence that names the server, the
/// file involved and the likely fix, instead of a TLS library's error dump.
public struct ConnectionFailure: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// Nothing listens on the address (ECONNREFUSED).
        case refused
        /// No TCP connection within the connect timeout.
        case timedOut
        /// The server's certificate is not signed by the configured CA.
        case untrustedCertificate
        /// The certificate is the CA's but does not name the host connected to.
        case wrongHostname
        /// The peer does not speak TLS (e.g. the metrics port, or a proxy).
        case notTLS
        /// The host name does not resolve.
        case unknownHost
        /// The server closed the connection during TLS or Hello.
        case closed
        case other
    }

    public var server: String
    public var kind: Kind
    public var description: String

    public init(server: String, kind: Kind, description: String) {
        self.server = server
        self.kind = kind
        self.description = description
    }

    /// Classifies `error`, thrown while connecting to `server` with the CA in `caFile`.
    /// Pure: it reads the error (its type, its errno, the BoringSSL reason in its text).
    public static func explaining(_ error: any Error, server: String, caFile: String) -> ConnectionFailure {
        let text = String(describing: error)
        let kind = classify(error, text: text)
        let sentence: String
        switch kind {
        case .refused:
            sentence = "nothing is listening on \(server) (connection refused): is seatd running there, and is the port right? (the default is 7420)"
        case .timedOut:
            sentence = "no TCP connection to \(server) in time: the host may be down, or a firewall drops the port"
        case .untrustedCertificate:
            sentence = "\(server) presented a certificate that the CA in \(caFile) did not sign: pass the CA that issued seatd's certificate (a development CA is <state_directory>/tls/ca.pem on the server)"
        case .wrongHostname:
            sentence = "\(server)'s certificate does not name this host name: connect with a name the certificate lists (e.g. the server's DNS name), or reissue the certificate with it"
        case .notTLS:
            sentence = "\(server) did not answer with TLS: is it seatd's client port (not the metrics port or a plain-text proxy)?"
        case .unknownHost:
            sentence = "the host name of \(server) does not resolve: check the spelling, or use an IP address"
        case .closed:
            sentence = "\(server) closed the connection during TLS or Hello: it may be at its connection limit or shutting down (see its log)"
        case .other:
            sentence = "connecting to \(server) failed: \(text)"
        }
        return ConnectionFailure(server: server, kind: kind, description: sentence)
    }

    private static func classify(_ error: any Error, text: String) -> Kind {
        if let connection = error as? NIOConnectionError {
            // Every address of the host failed (the first says why), or none resolved.
            if let first = connection.connectionErrors.first { return classify(first.error, text: String(describing: first.error)) }
            return .unknownHost
        }
        if let io = error as? IOError { return io.errnoCode == ECONNREFUSED ? .refused : .other }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout: return .timedOut
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed: return .closed
            default: break
            }
        }
        if case SeatClientError.connectionClosed = error { return .closed }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("unableToValidateCertificate") { return .untrustedCertificate }
        if text.contains("failedToValidateHostname") || text.contains("HOSTNAME") { return .wrongHostname }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") || text.contains("HTTP_REQUEST")
            || text.contains("uncleanShutdown") || text.contains("RECORD_LENGTH_MISMATCH") || text.contains("DECODE_ERROR")
        {
            return .notTLS
        }
        if text.contains("Connection refused") { return .refused }
        if text.contains("connectTimeout") || text.contains("timed out") { return .timedOut }
        if text.contains("getaddrinfo") || text.contains("Could not resolve") { return .unknownHost }
        return .other
    }
}
