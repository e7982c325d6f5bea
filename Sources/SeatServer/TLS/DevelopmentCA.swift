import Crypto
import Foundation
import SwiftASN1
import X509

/// Generates a private CA and a server certificate signed by it, for a first start
/// with no certificate configured. Clients trust `ca.pem`; production sites replace
/// both with certificates from their own PKI (`tls_certificate_file`, `tls_private_key_file`).
public struct DevelopmentCA: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var caCertificatePath: String { directory + "/ca.pem" }
    public var caPrivateKeyPath: String { directory + "/ca-key.pem" }
    public var serverCertificatePath: String { directory + "/server.pem" }
    public var serverPrivateKeyPath: String { directory + "/server-key.pem" }

    public var exists: Bool {
        [caCertificatePath, serverCertificatePath, serverPrivateKeyPath].allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// Creates the CA and server certificate unless they already exist.
    /// Returns true when new files were written.
    @discardableResult
    public func ensure(hostnames: [String]) throws -> Bool {
        if exists { return false }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("seatd")
            CommonName("seatd development CA")
        }
        let now = Date()
        let caCertificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: caName,
            subject: caName,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(caKey.publicKey))
            },
            issuerPrivateKey: .init(caKey)
        )

        let serverKey = P256.Signing.PrivateKey()
        let serverName = try DistinguishedName {
            OrganizationName("seatd")
            CommonName(hostnames.first ?? "localhost")
        }
        let serverCertificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(serverKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(2 * 365 * 86_400),
            issuer: caName,
            subject: serverName,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(Self.subjectAlternativeNames(for: hostnames))
                SubjectKeyIdentifier(hash: .init(serverKey.publicKey))
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: .init(caKey.publicKey)).keyIdentifier)
            },
            issuerPrivateKey: .init(caKey)
        )

        try FileWithMode.write(caKey.pemRepresentation, to: caPrivateKeyPath, mode: 0o600)
        try FileWithMode.write(serverKey.pemRepresentation, to: serverPrivateKeyPath, mode: 0o600)
        try FileWithMode.write(caCertificate.serializeAsPEM().pemString, to: caCertificatePath, mode: 0o644)
        // The server presents its certificate followed by the CA, so clients can be pointed at either.
        try FileWithMode.write(serverCertificate.serializeAsPEM().pemString + "\n", to: serverCertificatePath, mode: 0o644)
        return true
    }

    /// localhost and loopback always; plus the given names, as IP addresses where they parse as one.
    static func subjectAlternativeNames(for hostnames: [String]) -> [GeneralName] {
        var names: [GeneralName] = []
        for name in ["localhost", "127.0.0.1", "::1"] + hostnames {
            let entry: GeneralName
            if let address = IPAddressBytes(name) {
                entry = .ipAddress(ASN1OctetString(contentBytes: ArraySlice(address.bytes)))
            } else {
                entry = .dnsName(name)
            }
            if !names.contains(entry) { names.append(entry) }
        }
        return names
    }
}

/// The binary form of an IPv4 or IPv6 literal, for certificate SANs.
struct IPAddressBytes {
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }
}
