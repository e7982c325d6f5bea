import Foundation
import NIOSSL
@testable import SeatServer
import Testing
import X509

@Suite struct DevelopmentCATests {
    @Test func generatesACAAndAServerCertificateItSigned() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = DevelopmentCA(directory: directory)
        #expect(try ca.ensure(hostnames: ["seat.example", "10.0.0.5"]))
        #expect(try !ca.ensure(hostnames: []), "existing files are kept")

        let caCertificate = try Certificate(pemEncoded: String(contentsOfFile: ca.caCertificatePath, encoding: .utf8))
        let server = try Certificate(pemEncoded: String(contentsOfFile: ca.serverCertificatePath, encoding: .utf8))
        #expect(server.issuer == caCertificate.subject)
        #expect(caCertificate.publicKey.isValidSignature(server.signature, for: server))
        let names = try #require(try server.extensions.subjectAlternativeNames)
        #expect(names.contains(.dnsName("localhost")))
        #expect(names.contains(.dnsName("seat.example")))
        #expect(names.count == 5)

        let keyMode = try FileManager.default.attributesOfItem(atPath: ca.serverPrivateKeyPath)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        // NIOSSL accepts what was generated.
        _ = try ServerTLS.makeContext(certificateChainFile: ca.serverCertificatePath, privateKeyFile: ca.serverPrivateKeyPath)
    }
}
