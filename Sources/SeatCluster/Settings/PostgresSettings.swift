import Foundation
import NIOCore

/// Where the cluster's PostgreSQL is and how to reach it, parsed from a libpq-style URL:
/// `postgresql://user:password@host:port/database?sslmode=verify-full&sslrootcert=/etc/ca.pem`.
/// Parsing only reads the string; files named by the TLS parameters are read when the
/// connection configuration is built (`PostgresSettings+Connection.swift`).
public struct PostgresSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: PostgresTLSMode
    /// PEM file of the certificate authorities trusted for the server's certificate; the
    /// system's trust store when nil.
    public var rootCertificatePath: String?
    /// PEM files of a client certificate and its key, for servers that require one.
    public var clientCertificatePath: String?
    public var clientKeyPath: String?
    public var connectTimeout: TimeAmount
    /// Shown in `pg_stat_activity.application_name`.
    public var applicationName: String

    public static let defaultPort = 5432
    public static let defaultConnectTimeout = TimeAmount.seconds(5)

    /// The parameters a URL's query may carry; anything else is refused, so a misspelt
    /// `sslmode` is an error rather than a silently unencrypted connection.
    static let knownParameters: Set<String> = [
        "sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name",
    ]

    public init(url: String) throws(ClusterSettingsError) {
        guard let components = URLComponents(string: url) else {
            throw .invalid(setting: "url", value: Self.redacting(url), reason: "not a URL")
        }
        guard let scheme = components.scheme, scheme == "postgresql" || scheme == "postgres" else {
            throw .invalid(setting: "url", value: Self.redacting(url), reason: "the scheme must be postgresql://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalid(setting: "host", value: "", reason: "the URL names no host")
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? Self.defaultPort
        guard (1...65535).contains(port) else {
            throw .invalid(setting: "port", value: String(port), reason: "must be 1-65535")
        }
        guard let user = components.user, !user.isEmpty else {
            throw .invalid(setting: "user", value: "", reason: "the URL names no user (postgresql://user@host/database)")
        }
        username = user
        password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else {
            throw .invalid(setting: "database", value: path, reason: "a database name has no '/'")
        }
        database = path.isEmpty ? user : path

        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard Self.knownParameters.contains(item.name) else {
                throw .invalid(setting: item.name, value: item.value ?? "", reason: "unknown parameter (known: \(Self.knownParameters.sorted().joined(separator: ", ")))")
            }
            guard parameters[item.name] == nil else {
                throw .invalid(setting: item.name, value: item.value ?? "", reason: "given twice")
            }
            parameters[item.name] = item.value ?? ""
        }
        let mode = parameters["sslmode"] ?? PostgresTLSMode.prefer.rawValue
        guard let tlsMode = PostgresTLSMode(rawValue: mode) else {
            throw .invalid(setting: "sslmode", value: mode, reason: "must be one of \(PostgresTLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.tlsMode = tlsMode
        rootCertificatePath = try Self.path(parameters, "sslrootcert")
        clientCertificatePath = try Self.path(parameters, "sslcert")
        clientKeyPath = try Self.path(parameters, "sslkey")
        if (clientCertificatePath == nil) != (clientKeyPath == nil) {
            throw .invalid(setting: clientKeyPath == nil ? "sslkey" : "sslcert", value: "", reason: "sslcert and sslkey go together")
        }
        if tlsMode == .disable, let given = ["sslrootcert", "sslcert", "sslkey"].first(where: { parameters[$0] != nil }) {
            throw .invalid(setting: given, value: parameters[given] ?? "", reason: "has no effect with sslmode=disable")
        }
        if let timeout = parameters["connect_timeout"] {
            guard let seconds = Int(timeout), seconds > 0 else {
                throw .invalid(setting: "connect_timeout", value: timeout, reason: "must be a whole number of seconds above 0")
            }
            connectTimeout = .seconds(Int64(seconds))
        } else {
            connectTimeout = Self.defaultConnectTimeout
        }
        applicationName = parameters["application_name"] ?? "seatd"
    }

    /// The URL without its password, for logs and error messages.
    public var redactedURL: String {
        var components = URLComponents()
        components.scheme = "postgresql"
        components.user = username
        if password != nil { components.password = "***" }
        components.host = host.contains(":") ? "[\(host)]" : host
        components.port = port
        components.path = "/" + database
        return (components.string ?? database) + "?sslmode=\(tlsMode.rawValue)"
    }

    private static func path(_ parameters: [String: String], _ name: String) throws(ClusterSettingsError) -> String? {
        guard let value = parameters[name] else { return nil }
        guard !value.isEmpty else { throw .invalid(setting: name, value: "", reason: "needs a file path") }
        return value
    }

    private static func redacting(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "(unparsable URL)"
    }
}

/// libpq's `sslmode` values that seatd supports (`allow` is left out: it falls back to plain
/// text after a failed TLS attempt, which nothing should rely on).
public enum PostgresTLSMode: String, Sendable, CaseIterable {
    /// Plain TCP.
    case disable
    /// TLS if the server offers it, without checking its certificate (libpq's default).
    case prefer
    /// TLS or no connection; the certificate is checked against `sslrootcert` only when one
    /// is given (as libpq does), not otherwise.
    case require
    /// TLS, and the certificate must chain to a trusted authority; the host name is not checked.
    case verifyCA = "verify-ca"
    /// TLS, a trusted certificate, and the host name must match it.
    case verifyFull = "verify-full"
}

public enum ClusterSettingsError: Error, Equatable, CustomStringConvertible {
    /// `setting` names the URL part or parameter at fault.
    case invalid(setting: String, value: String, reason: String)

    public var setting: String {
        switch self { case .invalid(let setting, _, _): setting }
    }

    public var description: String {
        switch self {
        case .invalid(let setting, let value, let reason):
            value.isEmpty ? "PostgreSQL \(setting): \(reason)" : "PostgreSQL \(setting) '\(value)': \(reason)"
        }
    }
}
