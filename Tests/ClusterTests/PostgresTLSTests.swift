import SeatTestPostgres
import PostgresNIO
import SeatCluster
import Testing

/// The URL's TLS modes against the test server, which offers TLS with a self-signed
/// certificate for `localhost`.
@Suite("ClusterTests: TLS to PostgreSQL")
struct PostgresTLSTests {
    /// Connects with `settings` and asks the server whether this session is encrypted.
    func sessionIsEncrypted(_ settings: PostgresSettings) async throws -> Bool {
        let connection = try await PostgresConnection.connect(
            configuration: try settings.connectionConfiguration(), id: 1, logger: PostgresServer.logger
        )
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: PostgresServer.logger)
        for try await ssl in rows.decode(Bool.self) { return ssl }
        return false
    }

    @Test func verifyFullConnectsWhenTheServersCertificateIsTrustedAndNamesTheHost() async throws {
        let server = try await PostgresServer.shared()
        let settings = try server.settings(
            database: "postgres", host: "localhost", parameters: "sslmode=verify-full&sslrootcert=\(server.certificatePath)"
        )
        #expect(try await sessionIsEncrypted(settings))
    }

    @Test func verifyFullRefusesACertificateThatIsNotTrusted() async throws {
        let server = try await PostgresServer.shared()
        let settings = try server.settings(database: "postgres", host: "localhost", parameters: "sslmode=verify-full")
        await #expect(throws: (any Error).self) { try await sessionIsEncrypted(settings) }
    }

    @Test func verifyFullRefusesACertificateForAnotherName() async throws {
        let server = try await PostgresServer.shared()
        // The certificate names localhost, not 127.0.0.1.
        let settings = try server.settings(
            database: "postgres", host: "127.0.0.1", parameters: "sslmode=verify-full&sslrootcert=\(server.certificatePath)"
        )
        await #expect(throws: (any Error).self) { try await sessionIsEncrypted(settings) }
    }

    @Test(arguments: [("sslmode=require", true), ("sslmode=prefer", true), ("sslmode=disable", false)])
    func theOtherModesEncryptAsLibpqDoes(parameters: String, encrypted: Bool) async throws {
        let server = try await PostgresServer.shared()
        let settings = try server.settings(database: "postgres", parameters: parameters)
        #expect(try await sessionIsEncrypted(settings) == encrypted)
    }
}
