import SeatCore
import SeatLicensing
import SeatStorage

/// One configuration key: its name in the file, its documentation and how to apply a value.
struct ConfigurationKey: Sendable {
    let name: String
    let help: String
    /// Whether a SIGHUP reload applies a new value; if not, a change waits for a restart.
    var appliesOnReload = true
    let apply: @Sendable (inout ServerConfiguration, String) throws(ConfigurationError) -> Void
    /// The key's current value as the configuration file spells it.
    let render: @Sendable (ServerConfiguration) -> String
}

extension ConfigurationKey {
    /// Every key the daemon accepts, in the order `seatd --print-default-config` shows them.
    static let all: [ConfigurationKey] = [
        .string("listen_address", "Address to listen on for clients (IPv4 or IPv6 literal).", \.listenAddress, restartOnly: true),
        .integer("port", "TCP port for the TLS client protocol; 0 picks a free port.", \.port, 0...65_535, restartOnly: true),
        .string("state_directory", "Directory for the LMDB store and generated TLS files.", \.stateDirectory, required: true, restartOnly: true),
        .string("licenses_file", "JSON license list (signed by a vendor key, see docs/license-files.md) loaded at start and on SIGHUP; empty keeps what storage holds.", \.licensesFile),
        .string("policy_file", "Site policy (groups, reserve, max, include, exclude; see docs/operations.md, Policy) loaded at start and on SIGHUP; empty: no policy, seats go to whoever asks first.", \.policyFile),
        .boolean("log_seat_events", "Log each grant, release, expiry, force-release, denial and failed authentication at info (true or false); denials and failed authentications at most 50 lines a second each.", \.logSeatEvents),
        .boolean("development_mode", "Accept unsigned licenses (true or false); for development only, never in production: seatd logs a warning while it is on.", \.developmentMode),
        ConfigurationKey(name: "vendor_public_keys", help: "Comma-separated vendor Ed25519 public keys (base64, as in seatctl license keygen's PREFIX.pub); a license must be signed by one of them. Several allow key rotation.", apply: { configuration, value throws(ConfigurationError) in
            var keys: [VendorPublicKey] = []
            for text in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
                do {
                    keys.append(try VendorPublicKey(base64: text))
                } catch {
                    throw ConfigurationError.invalidValue(key: "vendor_public_keys", value: text, expected: "base64 Ed25519 public keys (32 bytes each), comma-separated")
                }
            }
            configuration.vendorPublicKeys = keys
        }, render: { $0.vendorPublicKeys.map(\.base64).joined(separator: ",") }),
        .seconds("lease_seconds", "How long a seat is held after the last acquire or heartbeat.", \.leaseSeconds, 1...86_400),
        .seconds("heartbeat_interval_seconds", "Heartbeat interval advised to clients; must be below lease_seconds.", \.heartbeatIntervalSeconds, 0.1...86_400),
        .integer("queue_max_per_license", "Acquires that may wait in one license's queue (AcquireOrWait); beyond it they are refused like a plain Acquire (noSeats).", \.queueMaxPerLicense, 0...1_000_000, restartOnly: true),
        .integer("queue_max_per_connection", "Waits one connection may hold at once (one per license and holder, over all licenses); beyond it an AcquireOrWait is refused like a plain Acquire.", \.queueMaxPerConnection, 0...10_000, restartOnly: true),
        .seconds("sweep_interval_seconds", "How often expired sessions are reclaimed.", \.sweepIntervalSeconds, 0.05...3_600),
        .seconds("ended_session_retention_seconds", "How long ended sessions are remembered so late heartbeats get a precise error.", \.endedSessionRetentionSeconds, 0...2_592_000),
        .integer("audit_retention_days", "Audit events older than this many days are deleted; 0 means no age limit (audit_max_mb still applies).", \.auditRetentionDays, 0...3_650),
        .integer("audit_max_mb", "Largest size of the audit log in the store, shared by its classes (admin 10%, security 15%, session 50%, volume 25%); beyond a class's share its oldest events are deleted.", \.auditMaxMegabytes, 1...1_048_576),
        .seconds("audit_aggregation_window_seconds", "Refused acquires and failed authentications are counted over this window and written as one audit event per license or address and reason when it ends.", \.auditAggregationWindowSeconds, 1...3_600, restartOnly: true),
        .integer("report_retention_months", "Usage rollups (seatctl report) are kept this many months, the oldest calendar month whole; older hours are deleted by the sweep.", \.reportRetentionMonths, 1...1_200),
        .string("borrow_signing_key_file", "Ed25519 key that signs the offline leases of borrowed seats (seatctl borrow public-key prints what clients trust); empty generates <state_directory>/borrow-signing-key.pem (mode 0600) on first start.", \.borrowSigningKeyFile, restartOnly: true),
        .string("tls_certificate_file", "PEM server certificate chain; empty generates a development CA in <state_directory>/tls.", \.tlsCertificateFile),
        .string("tls_private_key_file", "PEM private key of the server certificate.", \.tlsPrivateKeyFile),
        .integer("max_frame_bytes", "Largest frame body accepted once a connection has authenticated (before that: 4096); a larger length header closes the connection.", \.maxFrameBytes, 1_024...16_777_216),
        .seconds("handshake_timeout_seconds", "Time a new connection has to finish TLS and send Hello.", \.handshakeTimeoutSeconds, 0.1...600),
        .seconds("authentication_timeout_seconds", "Time a new connection has to authenticate when anonymous_tenant is empty; one that has not is closed.", \.authenticationTimeoutSeconds, 0.1...600),
        .seconds("idle_timeout_seconds", "A connection that sends nothing for this long is closed.", \.idleTimeoutSeconds, 1...86_400),
        .integer("max_connections", "Concurrent client connections; beyond it new connections are closed at once.", \.maxConnections, 1...1_000_000),
        .integer("max_unauthenticated_per_address", "Connections from one source address that have not authenticated yet (before Hello; before Authenticate when anonymous_tenant is empty); more from that address are closed at once. Authenticated connections do not count.", \.maxUnauthenticatedPerAddress, 1...1_000_000),
        .integer("unauthenticated_connections_percent", "Share (percent) of max_connections that connections not yet authenticated may hold together; beyond it new connections are closed at once.", \.unauthenticatedConnectionsPercent, 1...100),
        .seconds("frame_timeout_seconds", "A frame whose first bytes have arrived must be complete within this, or the connection is told idleTimeout and closed.", \.frameTimeoutSeconds, 0.1...3_600),
        ConfigurationKey(name: "durability", help: "fsync: acknowledged writes survive power loss; nosync: they survive a process crash only. With storage = postgresql, acknowledged writes are durable in PostgreSQL and this node's copy is never fsynced (it is rebuilt from the log).", appliesOnReload: false, apply: { configuration, value throws(ConfigurationError) in
            switch value {
            case "fsync": configuration.durability = .fsync
            case "nosync": configuration.durability = .noSync
            default: throw ConfigurationError.invalidValue(key: "durability", value: value, expected: "fsync or nosync")
            }
        }, render: { $0.durability == .fsync ? "fsync" : "nosync" }),
        ConfigurationKey(name: "storage", help: "lmdb: this node's own store in state_directory. postgresql: a group of nodes sharing postgresql_url, one active and the others standby; each keeps a copy in state_directory (docs/operations.md, High availability).", appliesOnReload: false, apply: { configuration, value throws(ConfigurationError) in
            guard let backend = StorageBackend(rawValue: value) else {
                throw ConfigurationError.invalidValue(key: "storage", value: value, expected: "lmdb or postgresql")
            }
            configuration.storageBackend = backend
        }, render: { $0.storageBackend.rawValue }),
        .string("postgresql_url", "With storage = postgresql: postgresql://user:password@host:port/database?sslmode=verify-full&sslrootcert=/path/ca.pem (sslmode disable, prefer, require or verify-full).", \.postgresqlURL, restartOnly: true),
        .string("cluster_node_name", "This node's name among the nodes sharing postgresql_url; empty: the host name.", \.clusterNodeName, restartOnly: true),
        .string("cluster_advertise_address", "host:port where clients reach this node, which standbys tell clients; empty: the host name (or listen_address) and port.", \.clusterAdvertiseAddress, restartOnly: true),
        .seconds("cluster_lease_seconds", "An active node that cannot renew its leadership in PostgreSQL for this long stops serving, and a standby takes over (a crashed node's leadership ends at once).", \.clusterLeaseSeconds, 2...300, restartOnly: true),
        .integer("storage_initial_map_mb", "Initial LMDB map size; it grows by doubling when full.", \.storageInitialMapMegabytes, 1...1_048_576, restartOnly: true),
        .integer("storage_max_map_mb", "Largest LMDB map; beyond it writes are refused with storageFull.", \.storageMaxMapMegabytes, 1...16_777_216, restartOnly: true),
        .integer("storage_high_water_percent", "Share of storage_max_map_mb in use at which new grants (and other writes that add data) are refused with storageFull; the rest is kept for releases and expiries.", \.storageHighWaterPercent, 50...100, restartOnly: true),
        .integer("storage_disk_reserve_mb", "Disk space held in <state_directory>/data/space-reserve for releases and expiries; grants are refused while less than this is free. 0: no reserve.", \.storageDiskReserveMegabytes, 0...1_048_576, restartOnly: true),
        ConfigurationKey(name: "log_level", help: "trace, debug, info, notice, warning, error or critical.", apply: { configuration, value throws(ConfigurationError) in
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw ConfigurationError.invalidValue(key: "log_level", value: value, expected: "trace, debug, info, notice, warning, error or critical")
            }
            configuration.logLevel = value
        }, render: \.logLevel),
        .string("server_name", "Name sent to clients in HelloAccepted.", \.serverName, required: true),
        .seconds("shutdown_timeout_seconds", "On SIGTERM, requests in flight get this long to finish before connections are cut; storage is flushed either way.", \.shutdownTimeoutSeconds, 0.1...3_600, restartOnly: true),
        .string("metrics_listen_address", "Address of the HTTP listener for /healthz, /readyz and /metrics; empty disables it.", \.metricsListenAddress, restartOnly: true),
        .integer("metrics_port", "TCP port of the health and metrics listener; 0 picks a free one (the log names it).", \.metricsPort, 0...65_535, restartOnly: true),
        .string("dashboard_listen_address", "Address of the web dashboard; a loopback address (127.x, ::1, localhost) serves plain HTTP, any other HTTPS with the server's TLS certificate; empty disables it.", \.dashboardListenAddress, restartOnly: true),
        .integer("dashboard_port", "TCP port of the web dashboard; 0 picks a free one (the log names it).", \.dashboardPort, 0...65_535, restartOnly: true),
        .integer("dashboard_session_minutes", "How long a dashboard sign-in lasts before the browser must sign in again.", \.dashboardSessionMinutes, 1...10_080, restartOnly: true),
        ConfigurationKey(name: "anonymous_tenant", help: "Empty: every client must authenticate with an access key. A tenant id: clients that do not authenticate act for that tenant.", apply: { configuration, value throws(ConfigurationError) in
            guard value.isEmpty || Tenant.isValidID(value) else {
                throw ConfigurationError.invalidValue(key: "anonymous_tenant", value: value, expected: "empty, or a tenant id of a-z, 0-9, '.', '_' or '-'")
            }
            configuration.anonymousTenant = value
        }, render: \.anonymousTenant),
        .string("admin_socket", "Path of the local admin socket (mode 0660); empty means <state_directory>/admin.sock.", \.adminSocket, restartOnly: true),
        .string("admin_socket_group", "Group given the admin socket; its members may administer seatd. Ignored (with a warning) if the group does not exist.", \.adminSocketGroup, restartOnly: true),
        .integer("auth_failure_limit", "Failed authentications per source address (per address and key for keys that exist) within auth_failure_window_seconds before further attempts of the same kind are refused until the window ends.", \.authFailureLimit, 1...1_000_000, restartOnly: true),
        .integer("auth_failure_global_limit", "Failed authentications from all addresses together within auth_failure_window_seconds before attempts naming no existing key are refused from every address until the window ends.", \.authFailureGlobalLimit, 1...1_000_000, restartOnly: true),
        .seconds("auth_failure_window_seconds", "Window of auth_failure_limit.", \.authFailureWindowSeconds, 1...86_400, restartOnly: true),
    ]

    static func named(_ name: String) -> ConfigurationKey? { all.first { $0.name == name } }

    private static func string(_ name: String, _ help: String, _ path: WritableKeyPath<ServerConfiguration, String> & Sendable, required: Bool = false, restartOnly: Bool = false) -> ConfigurationKey {
        ConfigurationKey(name: name, help: help, appliesOnReload: !restartOnly) { configuration, value throws(ConfigurationError) in
            if required && value.isEmpty {
                throw ConfigurationError.invalidValue(key: name, value: value, expected: "a non-empty value")
            }
            configuration[keyPath: path] = value
        } render: { $0[keyPath: path] }
    }

    private static func boolean(_ name: String, _ help: String, _ path: WritableKeyPath<ServerConfiguration, Bool> & Sendable) -> ConfigurationKey {
        ConfigurationKey(name: name, help: help) { configuration, value throws(ConfigurationError) in
            switch value {
            case "true": configuration[keyPath: path] = true
            case "false": configuration[keyPath: path] = false
            default: throw ConfigurationError.invalidValue(key: name, value: value, expected: "true or false")
            }
        } render: { $0[keyPath: path] ? "true" : "false" }
    }

    private static func integer(_ name: String, _ help: String, _ path: WritableKeyPath<ServerConfiguration, Int> & Sendable, _ range: ClosedRange<Int>, restartOnly: Bool = false) -> ConfigurationKey {
        ConfigurationKey(name: name, help: help, appliesOnReload: !restartOnly) { configuration, value throws(ConfigurationError) in
            guard let number = Int(value), range.contains(number) else {
                throw ConfigurationError.invalidValue(key: name, value: value, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            configuration[keyPath: path] = number
        } render: { String($0[keyPath: path]) }
    }

    private static func seconds(_ name: String, _ help: String, _ path: WritableKeyPath<ServerConfiguration, Double> & Sendable, _ range: ClosedRange<Double>, restartOnly: Bool = false) -> ConfigurationKey {
        ConfigurationKey(name: name, help: help, appliesOnReload: !restartOnly) { configuration, value throws(ConfigurationError) in
            guard let number = Double(value), number.isFinite, range.contains(number) else {
                throw ConfigurationError.invalidValue(key: name, value: value, expected: "seconds in \(range.lowerBound)...\(range.upperBound)")
            }
            configuration[keyPath: path] = number
        } render: { String($0[keyPath: path]) }
    }
}
