import Foundation
import NIOSSL

/// Builds the server's TLS context. TLS 1.3 only: seatd's clients are our own, so there
/// is no legacy to support, and 1.3 has only ECDHE + AEAD suites.
enum ServerTLS {
    static func makeContext(certificateChainFile: String, privateKeyFile: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(FileManager.default.contents(atPath: certificateChainFile) ?? Data()))
        guard !chain.isEmpty else { throw TLSSetupError.noCertificate(certificateChainFile) }
        guard let keyBytes = FileManager.default.contents(atPath: privateKeyFile) else {
            throw TLSSetupError.unreadable(privateKeyFile)
        }
        let key = try NIOSSLPrivateKey(bytes: Array(keyBytes), format: .pem)
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

enum TLSSetupError: Error, CustomStringConvertible {
    case noCertificate(String)
    case unreadable(String)

    var description: String {
        switch self {
        case .noCertificate(let path): "no PEM certificate found in \(path)"
        case .unreadable(let path): "cannot read \(path)"
        }
    }
}
