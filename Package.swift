// swift-tools-version:6.0
import Foundation
import PackageDescription

// What --version prints: the release from VERSION, and the commit. SEATD_COMMIT (set by
// `make release`, which reads git itself) wins over SwiftPM's view of the checkout, so a
// release binary always names the commit it was built from.
let buildVersion = ((try? String(contentsOfFile: Context.packageDirectory + "/VERSION", encoding: .utf8)) ?? "")
    .trimmingCharacters(in: .whitespacesAndNewlines)
let buildCommit = Context.environment["SEATD_COMMIT"]
    ?? Context.gitInformation.map { String($0.currentCommit.prefix(12)) + ($0.hasUncommittedChanges ? "-dirty" : "") }
    ?? "unknown"

let package = Package(
    name: "seatd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "seatd", targets: ["seatd"]),
        .executable(name: "seatctl", targets: ["seatctl"]),
        .executable(name: "seatload", targets: ["seatload"]),
        .library(name: "SeatClient", targets: ["SeatClient"]),
        .executable(name: "licensed-app-example", targets: ["LicensedApp"]),
        // libseatclient: the C API (include/seat.h) over SeatClient, for C and C++ applications.
        .library(name: "seatclient", type: .dynamic, targets: ["LibSeatClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Hummingbird's own: the HTTP parts its channels carry (the request deadline sees them).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // LMDB from the system (Debian: liblmdb-dev).
        .systemLibrary(
            name: "CLMDB",
            path: "Sources/CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        // The version and commit every --version prints (defines from the top of this file).
        .target(
            name: "SeatBuildInfo",
            path: "Sources/SeatBuildInfo",
            cSettings: [
                .define("SEATD_VERSION", to: "\"\(buildVersion)\""),
                .define("SEATD_COMMIT", to: "\"\(buildCommit)\""),
            ]
        ),
        // Pure seat rules: licenses, sessions, the per-license ledger. No I/O.
        .target(name: "SeatCore", path: "Sources/SeatCore"),
        // License documents: parsing, canonical signing bytes, Ed25519 vendor keys,
        // signing and verification. Bytes in, values out; no files or sockets.
        .target(
            name: "SeatLicensing",
            dependencies: [
                "SeatCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/SeatLicensing"
        ),
        // Wire format: messages, codec and frame decoder. No sockets.
        .target(
            name: "SeatProtocol",
            dependencies: [
                "SeatCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/Protocol"
        ),
        // LMDB persistence: environment, group-commit writer, record codec.
        .target(
            name: "SeatStorage",
            dependencies: [
                "CLMDB",
                "SeatCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Storage"
        ),
        // High availability on PostgreSQL: the shared replication log (fenced appends, reads,
        // snapshots), the node registry, and leader election (a pure state machine and its driver).
        .target(
            name: "SeatCluster",
            dependencies: [
                "SeatStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/SeatCluster"
        ),
        // The daemon as a library: configuration, TLS, license actors, sweeper, server.
        .target(
            name: "SeatServer",
            dependencies: [
                "SeatCluster",
                "SeatBuildInfo",
                "SeatCore",
                "SeatDashboard",
                "SeatHTTP",
                "SeatLicensing",
                "SeatProtocol",
                "SeatStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/SeatServer"
        ),
        // seatd's HTTP listeners (dashboard, health and metrics) on Hummingbird: the
        // connection setup with TLS, a connection cap and a per-request deadline.
        .target(
            name: "SeatHTTP",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/SeatHTTP"
        ),
        // The web dashboard: pure parts (SVG charts, CSRF tokens, sign-in sessions) and a thin
        // Hummingbird layer over `DashboardBackend`, which SeatServer implements.
        .target(
            name: "SeatDashboard",
            dependencies: [
                "SeatCore",
                "SeatHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/SeatDashboard"
        ),
        .executableTarget(
            name: "seatd",
            dependencies: [
                "SeatServer",
                "SeatBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/seatd"
        ),
        // Client library used by workstations, seatctl, the tests and the load generator.
        .target(
            name: "SeatClient",
            dependencies: [
                "SeatCore",
                "SeatProtocol",
                // Offline leases of borrowed seats are checked with the server's Ed25519 key.
                "SeatLicensing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/SeatClient"
        ),
        .executableTarget(
            name: "seatctl",
            dependencies: [
                "SeatClient",
                "SeatBuildInfo",
                "SeatCore",
                "SeatLicensing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/seatctl"
        ),
        // The client guide's example: acquire, print lease states, release on SIGINT.
        .executableTarget(
            name: "LicensedApp",
            dependencies: ["SeatClient", "SeatProtocol"],
            path: "Examples/LicensedApp"
        ),
        // seat.h, the C API's one header, and the C half of it (error names).
        .target(name: "CSeatClient", path: "Sources/CSeatClient"),
        // libseatclient's exported C functions, implemented on SeatLease and SeatConnection.
        // Only seat_* symbols are exported (version script); the soname carries the ABI version.
        .target(
            name: "LibSeatClient",
            dependencies: ["CSeatClient", "SeatClient", "SeatBuildInfo", "SeatCore", "SeatLicensing", "SeatProtocol"],
            path: "Sources/LibSeatClient",
            exclude: ["seatclient.map"],
            linkerSettings: [
                .unsafeFlags([
                    "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/LibSeatClient/seatclient.map",
                    "-Xlinker", "-soname=libseatclient.so.1",
                ]),
                // The shipped library must not need the Swift toolchain's shared libraries.
                .unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
            ]
        ),
        // Load generator: pure parts (scenarios, data set, reporting) and the executable.
        .target(
            name: "SeatLoadKit",
            dependencies: [
                "SeatCore",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Sources/SeatLoadKit"
        ),
        .executableTarget(
            name: "seatload",
            dependencies: [
                "SeatLoadKit",
                "SeatBuildInfo",
                "SeatClient",
                "SeatCore",
                "SeatProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/seatload"
        ),
        .testTarget(name: "SeatLoadTests", dependencies: ["SeatLoadKit"]),
        .testTarget(name: "SeatCoreTests", dependencies: ["SeatCore"]),
        .testTarget(name: "SeatLicensingTests", dependencies: ["SeatLicensing", "SeatCore"]),
        // The lease state machine and backoff, the response router on an embedded channel,
        // the admin JSON: without sockets.
        .testTarget(
            name: "SeatClientTests",
            dependencies: [
                "SeatClient",
                "SeatCore",
                "SeatProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // seatctl's argument parsing and output, without a server.
        .testTarget(name: "SeatctlTests", dependencies: ["seatctl", "SeatClient", "SeatProtocol"]),
        .testTarget(name: "ProtocolTests", dependencies: ["SeatProtocol"]),
        .testTarget(name: "StorageTests", dependencies: ["SeatStorage"]),
        // The leadership state machine and URL parsing (pure), and the replication log and
        // leader election against a private PostgreSQL the tests start.
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "SeatCluster",
                "SeatTestPostgres",
                "SeatStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SeatServerTests",
            dependencies: [
                "SeatServer",
                // The client against real standby listeners (StandbyListenerTests).
                "SeatClient",
                "SeatProtocol",
                "SeatStorage",
                "SeatCore",
                "SeatLicensing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                "SeatHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // The dashboard's pure parts: charts, CSRF tokens, sign-in sessions.
        .testTarget(
            name: "SeatDashboardTests",
            dependencies: [
                "SeatDashboard",
                "SeatCore",
            ]
        ),
        // Drives the real seatd binary over TLS on loopback.
        // A private PostgreSQL server for the tests that need one (started on first use).
        .target(
            name: "SeatTestPostgres",
            dependencies: [
                "SeatCluster",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/Postgres"
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "SeatTestPostgres",
                "SeatClient",
                "SeatCore",
                "SeatLicensing",
                "SeatProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
