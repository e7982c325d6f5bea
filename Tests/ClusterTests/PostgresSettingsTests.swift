import Foundation
import NIOCore
import SeatCluster
import Testing

/// The PostgreSQL URL: what each part becomes, and errors that name the part at fault.
@Suite("ClusterTests: PostgreSQL settings")
struct PostgresSettingsTests {
    @Test func aFullURLIsParsedIntoEveryPart() throws {
        let settings = try PostgresSettings(
            url: "postgresql://seat%40d:p%3Ass@db.example:6543/licenses?sslmode=verify-full&sslrootcert=/etc/ca.pem&connect_timeout=3&application_name=seatd-a"
        )
        #expect(settings.username == "seat@d")
        #expect(settings.password == "p:ss")
        #expect(settings.host == "db.example")
        #expect(settings.port == 6543)
        #expect(settings.database == "licenses")
        #expect(settings.tlsMode == .verifyFull)
        #expect(settings.rootCertificatePath == "/etc/ca.pem")
        #expect(settings.connectTimeout == .seconds(3))
        #expect(settings.applicationName == "seatd-a")
        #expect(settings.redactedURL == "postgresql://seat%40d:***@db.example:6543/licenses?sslmode=verify-full")
    }

    @Test func theDefaultsAreLibpqs() throws {
        let settings = try PostgresSettings(url: "postgres://seatd@[::1]")
        #expect(settings.host == "::1")
        #expect(settings.port == 5432)
        #expect(settings.database == "seatd")
        #expect(settings.password == nil)
        #expect(settings.tlsMode == .prefer)
        #expect(settings.connectTimeout == .seconds(5))
    }

    @Test(arguments: [
        ("http://seatd@db/seatd", "url"),
        ("postgresql:///seatd", "host"),
        ("postgresql://db/seatd", "user"),
        ("postgresql://seatd@db/a/b", "database"),
        ("postgresql://seatd@db/seatd?sslmode=allow", "sslmode"),
        ("postgresql://seatd@db/seatd?ssl_mode=require", "ssl_mode"),
        ("postgresql://seatd@db/seatd?sslmode=require&sslmode=disable", "sslmode"),
        ("postgresql://seatd@db/seatd?sslmode=disable&sslrootcert=/ca.pem", "sslrootcert"),
        ("postgresql://seatd@db/seatd?sslcert=/c.pem", "sslkey"),
        ("postgresql://seatd@db/seatd?sslrootcert=", "sslrootcert"),
        ("postgresql://seatd@db/seatd?connect_timeout=0", "connect_timeout"),
        ("postgresql://seatd@db:0/seatd", "port"),
    ])
    func aBadURLIsRefusedNamingTheSetting(url: String, setting: String) {
        #expect {
            try PostgresSettings(url: url)
        } throws: { error in
            (error as? ClusterSettingsError)?.setting == setting
        }
    }

    @Test func anErrorMessageNeverShowsThePassword() {
        #expect {
            try PostgresSettings(url: "http://seatd:secret@db/seatd")
        } throws: { error in
            "\(error)".contains("***") && !"\(error)".contains("secret")
        }
    }

    @Test(arguments: [
        (PostgresTLSMode.disable, false, false),
        (.prefer, true, false),
        (.require, true, true),
        (.verifyFull, true, true),
    ])
    func eachTLSModeBecomesPostgresNIOsTLS(mode: PostgresTLSMode, allowed: Bool, enforced: Bool) throws {
        let configuration = try PostgresSettings(url: "postgresql://seatd@db/seatd?sslmode=\(mode.rawValue)").connectionConfiguration()
        #expect(configuration.tls.isAllowed == allowed)
        #expect(configuration.tls.isEnforced == enforced)
        #expect(configuration.host == "db")
        #expect(configuration.options.connectTimeout == .seconds(5))
    }

    @Test func aMissingOrBrokenCertificateFileIsReportedNamingItsParameter() throws {
        let missing = try PostgresSettings(url: "postgresql://seatd@db/seatd?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem")
        #expect { try missing.connectionConfiguration() } throws: { ($0 as? ClusterSettingsError)?.setting == "sslrootcert" }

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-cert-\(UUID().uuidString).pem")
        try Data("not a certificate".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let broken = try PostgresSettings(url: "postgresql://seatd@db/seatd?sslmode=require&sslrootcert=\(file.path)")
        #expect { try broken.connectionConfiguration() } throws: { ($0 as? ClusterSettingsError)?.setting == "sslrootcert" }
        let brokenKey = try PostgresSettings(url: "postgresql://seatd@db/seatd?sslmode=require&sslcert=\(file.path)&sslkey=\(file.path)")
        #expect { try brokenKey.connectionConfiguration() } throws: { ($0 as? ClusterSettingsError)?.setting == "sslcert" }
    }
}
