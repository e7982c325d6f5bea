import Foundation
import NIOSSL
import X509

/// Builds the server's TLS context. TLS 1.3 only: seatd's clients are our own, so there
/// is no legacy to support, and 1.3 has only ECDHE + AEAD suites.
enum ServerTLS {
    static func makeContext(certificateChainFile: String, privateKeyFile: String) throws -> NIOSSLContext {
        // NIOSSL's own errors name neither the file nor the problem: check what we can first.
        guard let chainBytes = FileManager.default.contents(atPath: certificateChainFile) else {
            throw TLSSetupError.unreadable(certificateChainFile)
        }
        guard let chain = try? NIOSSLCertificate.fromPEMBytes(Array(chainBytes)), !chain.isEmpty else {
            throw TLSSetupError.noCertificate(certificateChainFile)
        }
        guard let keyBytes = FileManager.default.contents(atPath: privateKeyFile) else {
            throw TLSSetupError.unreadable(privateKeyFile)
        }
        guard let key = try? NIOSSLPrivateKey(bytes: Array(keyBytes), format: .pem) else {
            throw TLSSetupError.noPrivateKey(privateKeyFile)
        }
        try checkKeyMatches(chain[0], keyPEM: String(decoding: keyBytes, as: UTF8.self), certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv13
        // How long a closing connection waits for the peer's close_notify (NIOSSL's
        // default is 5 s). A peer that stopped reading never sends one, and this wait
        // comes on top of shutdown_timeout_seconds when such connections are cut.
        configuration.shutdownTimeout = .seconds(1)
        return try NIOSSLContext(configuration: configuration)
    }
}

extension ServerTLS {
    /// A key that does not belong to the certificate would only fail at the first
    /// handshake, with a BoringSSL error; say which files disagree instead.
    private static func checkKeyMatches(_ leaf: NIOSSLCertificate, keyPEM: String, certificateChainFile: String, privateKeyFile: String) throws {
        let certificate = try Certificate(derEncoded: leaf.toDERBytes())
        guard let key = try? Certificate.PrivateKey(pemEncoded: keyPEM) else { return }  // NIOSSL already parsed it; only compare what X509 can read
        guard key.publicKey == certificate.publicKey else {
            throw TLSSetupError.keyMismatch(certificate: certificateChainFile, privateKey: privateKeyFile)
        }
    }
}

enum TLSSetupError: Error, CustomStringConvertible {
    case noCertificate(String)
    case unreadable(String)
    case noPrivateKey(String)
    case keyMismatch(certificate: String, privateKey: String)

    var description: String {
        switch self {
        case .noCertificate(let path): "no PEM certificate found in \(path)"
        case .unreadable(let path): "cannot read \(path)"
        case .noPrivateKey(let path): "no PEM private key found in \(path)"
        case .keyMismatch(let certificate, let privateKey): "the private key in \(privateKey) does not belong to the certificate in \(certificate)"
        }
    }
}
