import Foundation
import SeatCore
import SeatLicensing
import SeatStorage

/// Everything the daemon can be told, with the default for every key.
/// Keys in the configuration file are the snake_case names listed in `ConfigurationKey`.
public struct ServerConfiguration: Sendable, Equatable {
    public var listenAddress = "0.0.0.0"
    public var port = 7420
    public var stateDirectory = "./state"
    /// Licenses loaded at start and on SIGHUP; empty means "keep what storage has".
    public var licensesFile = ""
    /// The site policy (reservations, maxima, include and exclude lists); empty: none.
    public var policyFile = ""
    /// The key that signs offline leases of borrowed seats; empty: generated in
    /// <state_directory>/borrow-signing-key.pem on first start.
    public var borrowSigningKeyFile = ""
    /// Accept unsigned licenses (docs/license-files.md); for development only.
    public var developmentMode = false
    public var logSeatEvents = true
    /// The vendor keys whose signatures make a license acceptable; several allow rotation.
    public var vendorPublicKeys: [VendorPublicKey] = []
    public var leaseSeconds = 360.0
    public var heartbeatIntervalSeconds = 120.0
    public var sweepIntervalSeconds = 15.0
    public var endedSessionRetentionSeconds = 600.0
    /// Audit events older than this are deleted; 0 keeps them until the size cap.
    public var auditRetentionDays = 90
    /// The audit log's share of the store; the oldest events go first beyond it.
    public var auditMaxMegabytes = 256
    /// Refusals and failed authentications are counted per key over this window and
    /// written as one event per key when it ends.
    public var auditAggregationWindowSeconds = 60.0
    /// The usage rollup (`seatctl report`) is kept this many months.
    public var reportRetentionMonths = 18
    /// Empty certificate and key: a development CA and server certificate are generated
    /// in `<state_directory>/tls` on first start.
    public var tlsCertificateFile = ""
    public var tlsPrivateKeyFile = ""
    public var maxFrameBytes = 65_536
    /// Waiters one license's queue holds; memory is bounded by this times the licenses.
    public var queueMaxPerLicense = 1_000
    /// Waits one connection holds, so no client fills the queues alone.
    public var queueMaxPerConnection = 16
    public var handshakeTimeoutSeconds = 10.0
    /// From the connection's start; only when clients must authenticate (no anonymous tenant).
    public var authenticationTimeoutSeconds = 10.0
    public var idleTimeoutSeconds = 900.0
    public var maxConnections = 60_000
    /// Connections from one address that have not authenticated (before Hello, or before
    /// Authenticate when a key is required); more from that address are closed at accept.
    public var maxUnauthenticatedPerAddress = 64
    /// The share of the effective max_connections that unauthenticated connections may hold.
    public var unauthenticatedConnectionsPercent = 50
    /// A frame whose first bytes have arrived must be complete within this.
    public var frameTimeoutSeconds = 10.0
    public var durability = Durability.fsync
    /// Where the state lives: one node's LMDB store, or a log in PostgreSQL shared by an
    /// active/standby group of nodes (each keeps an LMDB copy in `state_directory`).
    public var storageBackend = StorageBackend.lmdb
    /// The PostgreSQL of `storage = postgresql`, as a `postgresql://` URL.
    public var postgresqlURL = ""
    /// This node's name among the nodes sharing the PostgreSQL store; empty: the host name.
    public var clusterNodeName = ""
    /// Where clients reach this node (host:port), told by standbys to clients; empty: the
    /// host name and `port`.
    public var clusterAdvertiseAddress = ""
    /// How long an active node's leadership lasts without renewal before a standby may
    /// take over from a node that is paused or cut off from PostgreSQL.
    public var clusterLeaseSeconds = 10.0
    public var storageInitialMapMegabytes = 64
    public var storageMaxMapMegabytes = 16_384
    /// Grants and other writes that add data are refused above this share of the map
    /// maximum; the rest is kept for ends (`StorageOptions.highWaterPercent`).
    public var storageHighWaterPercent = 90
    /// Disk space held for ends in `<state_directory>/data/space-reserve`; 0: none.
    public var storageDiskReserveMegabytes = 32
    public var logLevel = "info"
    public var serverName = "seatd"
    public var shutdownTimeoutSeconds = 30.0
    /// Health and metrics over HTTP; loopback by default, empty disables the listener.
    public var metricsListenAddress = "127.0.0.1"
    public var metricsPort = 7421
    /// The web dashboard; loopback by default (plain HTTP), any other address serves HTTPS
    /// with the server certificate; empty disables it.
    public var dashboardListenAddress = "127.0.0.1"
    public var dashboardPort = 7422
    /// How long a dashboard sign-in lasts.
    public var dashboardSessionMinutes = 480
    /// Empty: clients must authenticate with an access key. A tenant id: connections that
    /// do not authenticate act for that tenant (single-organization sites).
    public var anonymousTenant = ""
    /// Empty: `<state_directory>/admin.sock`.
    public var adminSocket = ""
    public var adminSocketGroup = "seatd-admin"
    public var authFailureLimit = 10
    public var authFailureWindowSeconds = 60.0
    /// Failed authentications from all addresses together per window before attempts
    /// naming no existing key are refused everywhere.
    public var authFailureGlobalLimit = 100

    public init() {}

    public var leasePolicy: LeasePolicy {
        LeasePolicy(
            leaseMilliseconds: Int64(leaseSeconds * 1000),
            heartbeatIntervalMilliseconds: Int64(heartbeatIntervalSeconds * 1000)
        )
    }

    /// Checks every license the licenses file (or an import) brings.
    public var licenseVerifier: LicenseVerifier {
        LicenseVerifier(trustedKeys: vendorPublicKeys, allowUnsigned: developmentMode)
    }

    public var storageDirectory: String { stateDirectory + "/data" }
    public var tlsDirectory: String { stateDirectory + "/tls" }
    public var borrowSigningKeyPath: String { borrowSigningKeyFile.isEmpty ? stateDirectory + "/borrow-signing-key.pem" : borrowSigningKeyFile }
    /// Whether the dashboard serves plain HTTP: only on a loopback address.
    public var dashboardIsLoopback: Bool {
        dashboardListenAddress == "localhost" || dashboardListenAddress == "::1" || dashboardListenAddress.hasPrefix("127.")
    }

    public var clusterNodeNameInForce: String {
        clusterNodeName.isEmpty ? ProcessInfo.processInfo.hostName : clusterNodeName
    }

    public var clusterAdvertiseAddressInForce: String {
        if !clusterAdvertiseAddress.isEmpty { return clusterAdvertiseAddress }
        let host = ["0.0.0.0", "::", ""].contains(listenAddress) ? ProcessInfo.processInfo.hostName : listenAddress
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public var adminSocketPath: String { adminSocket.isEmpty ? stateDirectory + "/admin.sock" : adminSocket }

    public var storageOptions: StorageOptions {
        StorageOptions(
            directory: storageDirectory,
            initialMapSizeBytes: storageInitialMapMegabytes << 20,
            maximumMapSizeBytes: storageMaxMapMegabytes << 20,
            // With storage = postgresql an acknowledgement waits for PostgreSQL's commit, and
            // this node's copy is rebuilt from the log whenever it lacks a batch: fsyncing the
            // copy as well would only halve the throughput.
            durability: storageBackend == .postgresql ? .noSync : durability,
            highWaterPercent: storageHighWaterPercent,
            diskReserveBytes: storageDiskReserveMegabytes << 20
        )
    }
}

/// `storage`: the single-node embedded store, or the PostgreSQL-backed HA group.
public enum StorageBackend: String, Sendable, Equatable {
    case lmdb
    case postgresql
}
