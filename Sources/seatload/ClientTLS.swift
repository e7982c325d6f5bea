import Foundation
import NIOSSL

/// TLS 1.3 with full verification against the seatd CA, as `SeatClientConfiguration` does.
enum ClientTLS {
    static func makeContext(caFile: String) throws -> NIOSSLContext {
        guard let pem = FileManager.default.contents(atPath: caFile) else {
            throw LoadError.usage("cannot read the CA file \(caFile)")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .fullVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem)))
        return try NIOSSLContext(configuration: tls)
    }
}

enum LoadError: Error, CustomStringConvertible {
    case usage(String)
    case connect(String)

    var description: String {
        switch self {
        case .usage(let text): text
        case .connect(let text): text
        }
    }
}
