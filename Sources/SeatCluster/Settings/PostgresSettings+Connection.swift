import NIOSSL
import PostgresNIO

extension PostgresSettings {
    /// postgres-nio's configuration for these settings. Reads the TLS files, so a missing or
    /// malformed certificate is reported here, naming its parameter, before any connection.
    public func connectionConfiguration() throws(ClusterSettingsError) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: try tls()
        )
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }

    private func tls() throws(ClusterSettingsError) -> PostgresConnection.Configuration.TLS {
        if tlsMode == .disable { return .disable }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = switch tlsMode {
        case .disable, .prefer: .none
        case .require: rootCertificatePath == nil ? .none : .noHostnameVerification
        case .verifyCA: .noHostnameVerification
        case .verifyFull: .fullVerification
        }
        if let rootCertificatePath {
            tls.trustRoots = .certificates(try Self.certificates(rootCertificatePath, setting: "sslrootcert"))
        }
        if let clientCertificatePath, let clientKeyPath {
            tls.certificateChain = try Self.certificates(clientCertificatePath, setting: "sslcert").map { .certificate($0) }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKeyPath, format: .pem))
            } catch {
                throw .invalid(setting: "sslkey", value: clientKeyPath, reason: "not a readable PEM private key (\(error))")
            }
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: tls)
        } catch {
            throw .invalid(setting: "sslmode", value: tlsMode.rawValue, reason: "TLS could not be set up (\(error))")
        }
        return tlsMode == .prefer ? .prefer(context) : .require(context)
    }

    private static func certificates(_ path: String, setting: String) throws(ClusterSettingsError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw .invalid(setting: setting, value: path, reason: "not a readable PEM certificate file (\(error))")
        }
        guard !certificates.isEmpty else {
            throw .invalid(setting: setting, value: path, reason: "holds no certificate")
        }
        return certificates
    }
}
