import Foundation
import Glibc
import Testing

/// What seatctl says when it cannot reach seatd: a sentence naming the server and the
/// likely fix (exit 6), for each common mistake, against the real daemon.
@Suite struct ConnectionFailureMessageTests {
    static func validate(_ daemon: DaemonProcess, server: String, ca: String? = nil) async throws -> (status: Int32, stderr: String) {
        var arguments = ["validate", "--license", "L", "--server", server]
        if let ca { arguments += ["--ca", ca] }
        let result = try await SeatctlProcess.run(arguments, daemon: daemon)
        return (result.status, result.stderr)
    }

    @Test func eachMistakeIsToldAsASentence() async throws {
        // Listening on every loopback address, so 127.0.0.2 reaches it too.
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)], settings: ["listen_address": "0.0.0.0"]) { daemon in
            let otherCA = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-unrelated-ca-\(UUID().uuidString).pem").path
            try Self.unrelatedCA.write(toFile: otherCA, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: otherCA) }

            let wrongCA = try await Self.validate(daemon, server: "localhost:\(daemon.port)", ca: otherCA)
            #expect(wrongCA.status == 6)
            #expect(wrongCA.stderr.contains("presented a certificate that the CA in \(otherCA) did not sign"), "\(wrongCA.stderr)")
            #expect(!wrongCA.stderr.contains("BoringSSL"), "no library dump: \(wrongCA.stderr)")

            let metricsPort = try await daemon.metricsPort()
            let plaintext = try await Self.validate(daemon, server: "127.0.0.1:\(metricsPort)")
            #expect(plaintext.status == 6)
            #expect(plaintext.stderr.contains("did not answer with TLS: is it seatd's client port"), "\(plaintext.stderr)")

            // A port nothing listens on: the daemon's metrics port once it has stopped is not
            // safe to reuse, so take one the kernel just handed out and closed.
            let closedPort = try Self.closedPort()
            let refused = try await Self.validate(daemon, server: "127.0.0.1:\(closedPort)")
            #expect(refused.status == 6)
            #expect(refused.stderr.contains("nothing is listening on 127.0.0.1:\(closedPort) (connection refused)"), "\(refused.stderr)")

            // The development certificate names localhost and 127.0.0.1, not 127.0.0.2.
            let wrongName = try await Self.validate(daemon, server: "127.0.0.2:\(daemon.port)")
            #expect(wrongName.status == 6)
            #expect(wrongName.stderr.contains("certificate does not name this host name"), "\(wrongName.stderr)")
        }
    }

    /// A CA that signed nothing seatd has (a fixed self-signed certificate, no key kept).
    static let unrelatedCA = """
-----BEGIN CERTIFICATE-----
MIIBlTCCATugAwIBAgIUe/BtzEmcYl2nlreeWGIVinsf+c0wCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUQW4gdW5yZWxhdGVkIHRlc3QgQ0EwIBcNMjYxMjAyMDE0OTAy
WhgPMjEyNjExMDgwMTQ5MDJaMB8xHTAbBgNVBAMMFEFuIHVucmVsYXRlZCB0ZXN0
IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOVm66gWc5vmeV5GkWUNkKdgX
RZoBsm0eFbSqsQzBWJcsGT+2LnT63Nkwg1BXaPIaEh3EY+oKWCoNzD79EmvkLKNT
MFEwHQYDVR0OBBYEFAakNmsrKXIrsmesvySaIgNWWKGxMB8GA1UdIwQYMBaAFAak
NmsrKXIrsmesvySaIgNWWKGxMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
SAAwRQIhAKWh0PYlsQDx7d03U8AidP1FxmUfSmfVxjadOfZd+f2VAiBlg0MLJdxc
dDkjav5GQAEIFVYlWADsmEHxrgMiIRAWvA==
-----END CERTIFICATE-----
"""

    /// A loopback port that was just free: bound, then closed.
    static func closedPort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw ProbeError("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
