import Foundation

/// Builds a `ServerConfiguration` from defaults, an optional file and `key=value` overrides.
///
/// The file format is one `key = value` per line; `#` starts a comment; blank lines are
/// ignored; values are taken verbatim after trimming (no quoting needed).
public enum ConfigurationLoader {
    public static func load(file: String?, overrides: [String]) throws(ConfigurationError) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw .unreadable(path: file, error.localizedDescription)
            }
            try apply(fileContents: text, to: &configuration)
        }
        for override in overrides {
            guard let (key, value) = splitAssignment(override, separator: "=") else {
                throw .syntax(line: 0, override)
            }
            try apply(key: key, value: value, line: nil, to: &configuration)
        }
        try validate(configuration)
        return configuration
    }

    /// A key set twice in one file is an error naming both lines: a silent "last one wins"
    /// hides a setting the operator believes is in force. (`-o` overrides may still replace
    /// a file's value: that is what they are for.)
    public static func apply(fileContents: String, to configuration: inout ServerConfiguration) throws(ConfigurationError) {
        var firstLineOfKey: [String: Int] = [:]
        for (index, rawLine) in fileContents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard let (key, value) = splitAssignment(line, separator: "=") else {
                throw .syntax(line: lineNumber, line.trimmingCharacters(in: .whitespaces))
            }
            if let first = firstLineOfKey[key] { throw .duplicateKey(key, firstLine: first, line: lineNumber) }
            firstLineOfKey[key] = lineNumber
            try apply(key: key, value: value, line: lineNumber, to: &configuration)
        }
    }

    /// Documented defaults, in the configuration file format.
    public static func defaultConfigurationText() -> String {
        let defaults = ServerConfiguration()
        return ConfigurationKey.all.map { key in
            "# \(key.help)\(key.appliesOnReload ? "" : " (Needs a restart; SIGHUP does not change it.)")\n\(key.name) = \(key.render(defaults))\n"
        }.joined(separator: "\n")
    }

    /// Names of the keys SIGHUP cannot change, in `seatd --print-default-config` order.
    public static var restartOnlyKeys: [String] {
        ConfigurationKey.all.filter { !$0.appliesOnReload }.map(\.name)
    }

    /// `proposed` with every key that needs a restart set back to its value in `running`,
    /// and the names of the keys that were set back because they differed.
    public static func reloadable(_ proposed: ServerConfiguration, running: ServerConfiguration) -> (configuration: ServerConfiguration, needsRestart: [String]) {
        var result = proposed
        var needsRestart: [String] = []
        for key in ConfigurationKey.all where !key.appliesOnReload {
            let current = key.render(running)
            if key.render(proposed) != current {
                needsRestart.append(key.name)
                // The rendered value of a running configuration always applies again.
                try? key.apply(&result, current)
            }
        }
        return (result, needsRestart)
    }

    static func validate(_ configuration: ServerConfiguration) throws(ConfigurationError) {
        if configuration.heartbeatIntervalSeconds >= configuration.leaseSeconds {
            throw .inconsistent(key: "heartbeat_interval_seconds", "must be below lease_seconds (\(configuration.leaseSeconds))")
        }
        if configuration.tlsCertificateFile.isEmpty != configuration.tlsPrivateKeyFile.isEmpty {
            throw .inconsistent(key: "tls_private_key_file", "tls_certificate_file and tls_private_key_file must be set together")
        }
        if configuration.storageInitialMapMegabytes > configuration.storageMaxMapMegabytes {
            throw .inconsistent(key: "storage_initial_map_mb", "must not exceed storage_max_map_mb")
        }
        if configuration.storageBackend == .postgresql && configuration.postgresqlURL.isEmpty {
            throw .inconsistent(key: "postgresql_url", "must be set with storage = postgresql")
        }
    }

    private static func apply(key: String, value: String, line: Int?, to configuration: inout ServerConfiguration) throws(ConfigurationError) {
        guard let definition = ConfigurationKey.named(key) else { throw .unknownKey(key, line: line) }
        do {
            try definition.apply(&configuration, value)
        } catch {
            if let line { throw .atLine(line, error) }
            throw error
        }
    }

    private static func splitAssignment(_ text: String, separator: Character) -> (String, String)? {
        guard let index = text.firstIndex(of: separator) else { return nil }
        let key = text[..<index].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: index)...].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { return nil }
        return (key, value)
    }
}
