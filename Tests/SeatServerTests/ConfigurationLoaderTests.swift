import Foundation
@testable import SeatServer
import SeatStorage
import Testing

@Suite struct ConfigurationLoaderTests {
    @Test func defaultsAreDocumented() throws {
        let configuration = try ConfigurationLoader.load(file: nil, overrides: [])
        #expect(configuration == ServerConfiguration())
        #expect(configuration.leasePolicy.leaseMilliseconds == 360_000)
        #expect(configuration.leasePolicy.heartbeatIntervalMilliseconds == 120_000)
        let text = ConfigurationLoader.defaultConfigurationText()
        for key in ConfigurationKey.all { #expect(text.contains("\n\(key.name) = ") || text.hasPrefix("# ")) }
        var reparsed = ServerConfiguration()
        try ConfigurationLoader.apply(fileContents: text, to: &reparsed)
        #expect(reparsed == ServerConfiguration())
    }

    @Test func fileThenOverrides() throws {
        var configuration = ServerConfiguration()
        try ConfigurationLoader.apply(fileContents: """
            # a comment
            port = 9000   # trailing comment
            lease_seconds = 60
            heartbeat_interval_seconds=20
            durability = nosync

            """, to: &configuration)
        #expect(configuration.port == 9000)
        #expect(configuration.leaseSeconds == 60)
        #expect(configuration.heartbeatIntervalSeconds == 20)
        #expect(configuration.durability == .noSync)

        let overridden = try ConfigurationLoader.load(file: nil, overrides: ["port=1234", "log_level=debug"])
        #expect(overridden.port == 1234)
        #expect(overridden.logLevel == "debug")
    }

    @Test func aKeySetTwiceInOneFileIsAnErrorNamingBothLines() {
        var configuration = ServerConfiguration()
        #expect(throws: ConfigurationError.duplicateKey("port", firstLine: 2, line: 4)) {
            try ConfigurationLoader.apply(fileContents: "# seatd\nport = 7420\nlease_seconds = 60\nport = 7430\n", to: &configuration)
        }
        #expect(ConfigurationError.duplicateKey("port", firstLine: 2, line: 4).description == "line 4: key 'port' is already set on line 2; set each key once")
    }

    @Test func errorsNameTheKey() {
        #expect(throws: ConfigurationError.unknownKey("colour", line: nil)) { try ConfigurationLoader.load(file: nil, overrides: ["colour=blue"]) }
        #expect(throws: ConfigurationError.invalidValue(key: "port", value: "70000", expected: "an integer in 0...65535")) {
            try ConfigurationLoader.load(file: nil, overrides: ["port=70000"])
        }
        #expect(throws: ConfigurationError.invalidValue(key: "durability", value: "maybe", expected: "fsync or nosync")) {
            try ConfigurationLoader.load(file: nil, overrides: ["durability=maybe"])
        }
        #expect(throws: ConfigurationError.syntax(line: 0, "port")) { try ConfigurationLoader.load(file: nil, overrides: ["port"]) }
        #expect(throws: ConfigurationError.inconsistent(key: "heartbeat_interval_seconds", "must be below lease_seconds (30.0)")) {
            try ConfigurationLoader.load(file: nil, overrides: ["lease_seconds=30", "heartbeat_interval_seconds=30"])
        }
        #expect(throws: ConfigurationError.inconsistent(key: "tls_private_key_file", "tls_certificate_file and tls_private_key_file must be set together")) {
            try ConfigurationLoader.load(file: nil, overrides: ["tls_certificate_file=/x.pem"])
        }
        #expect(throws: ConfigurationError.invalidValue(key: "storage", value: "redis", expected: "lmdb or postgresql")) {
            try ConfigurationLoader.load(file: nil, overrides: ["storage=redis"])
        }
        #expect(throws: ConfigurationError.inconsistent(key: "postgresql_url", "must be set with storage = postgresql")) {
            try ConfigurationLoader.load(file: nil, overrides: ["storage=postgresql"])
        }
        var configuration = ServerConfiguration()
        #expect(throws: ConfigurationError.atLine(2, .invalidValue(key: "max_connections", value: "0", expected: "an integer in 1...1000000"))) {
            try ConfigurationLoader.apply(fileContents: "port = 1\nmax_connections = 0\n", to: &configuration)
        }
        #expect(throws: ConfigurationError.syntax(line: 1, "just words")) {
            try ConfigurationLoader.apply(fileContents: "just words\n", to: &configuration)
        }
        #expect(throws: ConfigurationError.invalidValue(key: "state_directory", value: "", expected: "a non-empty value")) {
            try ConfigurationLoader.load(file: nil, overrides: ["state_directory="])
        }
    }

    @Test func theClusterKeysDefaultToTheHostNameAndPort() throws {
        let configuration = try ConfigurationLoader.load(file: nil, overrides: ["storage=postgresql", "postgresql_url=postgresql://seatd@db/seatd", "port=7500"])
        #expect(configuration.storageBackend == .postgresql)
        // The copy is rebuilt from the log; the acknowledgement waits for PostgreSQL's commit.
        #expect(configuration.durability == .fsync)
        #expect(configuration.storageOptions.durability == .noSync)
        #expect(try ConfigurationLoader.load(file: nil, overrides: []).storageOptions.durability == .fsync)
        #expect(configuration.clusterNodeNameInForce == ProcessInfo.processInfo.hostName)
        #expect(configuration.clusterAdvertiseAddressInForce == "\(ProcessInfo.processInfo.hostName):7500")
        let pinned = try ConfigurationLoader.load(file: nil, overrides: ["listen_address=10.0.0.5", "cluster_node_name=a", "cluster_lease_seconds=5"])
        #expect(pinned.clusterNodeNameInForce == "a")
        #expect(pinned.clusterAdvertiseAddressInForce == "10.0.0.5:7420")
        #expect(pinned.clusterLeaseSeconds == 5)
        #expect(try ConfigurationLoader.load(file: nil, overrides: ["listen_address=::1"]).clusterAdvertiseAddressInForce == "[::1]:7420")
    }

    @Test func errorMessagesAreReadable() {
        let error = ConfigurationError.atLine(3, .unknownKey("leese_seconds", line: nil))
        #expect(error.description == "line 3: unknown configuration key 'leese_seconds'")
    }
}
