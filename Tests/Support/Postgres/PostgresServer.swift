import Foundation
import Logging
import PostgresNIO
import SeatCluster
import Synchronization

/// A private PostgreSQL cluster for this test process: `initdb` into a temporary folder and
/// a server on a free loopback port, started on first use and stopped when the process
/// exits. Each test takes a database of its own (`makeDatabase`), so tests run in parallel
/// without seeing each other's tables or advisory locks (which are per database).
///
/// PostgreSQL refuses to run as root; as root the server runs as the `postgres` user.
public final class PostgresServer: Sendable {
    public static let user = "seatd"
    public static let password = "seatd-test-password"

    /// The server of this test process.
    public static func shared() async throws -> PostgresServer {
        try await started.value
    }

    private static let started = Task { try await PostgresServer.start() }

    public let port: Int
    public let directory: String

    private init(port: Int, directory: String) {
        self.port = port
        self.directory = directory
    }

    /// The server's self-signed certificate (for `localhost`).
    public var certificatePath: String { directory + "/server.crt" }

    /// Settings for `database` on this server, reached as `host`, with `parameters` in the URL's query.
    public func settings(database: String, host: String = "127.0.0.1", parameters: String = "sslmode=disable") throws -> PostgresSettings {
        try PostgresSettings(url: "postgresql://\(Self.user):\(Self.password)@\(host):\(port)/\(database)?\(parameters)")
    }

    /// A new, empty database, as settings for the code under test.
    public func makeDatabase() async throws -> PostgresSettings {
        try PostgresSettings(url: try await makeDatabaseURL())
    }

    /// A new, empty database, as the `postgresql_url` of a daemon.
    public func makeDatabaseURL() async throws -> String {
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let connection = try await connect(database: "postgres")
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Self.logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return url(database: name, port: port)
    }

    /// The URL of `database` through `port` (this server's, or a proxy's in front of it).
    public func url(database: String, port: Int) -> String {
        "postgresql://\(Self.user):\(Self.password)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// `url` (one of `makeDatabaseURL`'s) reached through `port` instead.
    public func url(of url: String, port: Int) throws -> String {
        self.url(database: try PostgresSettings(url: url).database, port: port)
    }

    /// Runs `sql` on `url`'s database (a test playing another node).
    public func execute(url: String, _ sql: String) async throws {
        let connection = try await connect(database: try PostgresSettings(url: url).database)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The epoch of every batch in the replication log of `url`'s database, in log order.
    public func logEpochs(url: String) async throws -> [Int64] {
        let connection = try await connect(database: try PostgresSettings(url: url).database)
        do {
            var epochs: [Int64] = []
            let rows = try await connection.query("SELECT epoch FROM seatd_log ORDER BY sequence", logger: Self.logger)
            for try await epoch in rows.decode(Int64.self) { epochs.append(epoch) }
            try? await connection.close()
            return epochs
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A session of the test's own, e.g. to play a rival node or to look at the tables.
    public func connect(database: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: .init(host: "127.0.0.1", port: port, username: Self.user, password: Self.password, database: database, tls: .disable),
            id: 0, logger: Self.logger
        )
    }

    /// Warnings only: the election logs every event at info.
    public static let logger: Logger = {
        var logger = Logger(label: "cluster-tests")
        logger.logLevel = .warning
        return logger
    }()

    // MARK: - Starting and stopping

    private static func start() async throws -> PostgresServer {
        let binaries = try binaryDirectory()
        let directory = try makeDirectory()
        let data = directory + "/data"
        let passwordFile = directory + "/password"
        try password.write(toFile: passwordFile, atomically: false, encoding: .utf8)
        try handOver(passwordFile)
        try await run(binaries + "/initdb", [
            "-D", data, "-U", user, "--pwfile=\(passwordFile)", "-E", "UTF8", "--no-sync",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        ], log: directory + "/initdb.log")
        // TLS, with a self-signed certificate for localhost that the TLS tests trust.
        try await run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost", "-keyout", directory + "/server.key", "-out", directory + "/server.crt",
        ], log: directory + "/openssl.log")
        // Another test run may take the port between the probe and the start: try again.
        var lastError: (any Error)?
        for attempt in 0..<3 {
            let port = try FreePorts.reserve(1)[0]
            let log = directory + "/postgres-\(attempt).log"
            do {
                // In the foreground, as this process's child: pg_ctl's daemon would inherit
                // the descriptor Foundation watches for the child's exit, and its exit would
                // never be seen.
                let server = [
                    binaries + "/postgres", "-D", data, "-c", "port=\(port)", "-c", "listen_addresses=127.0.0.1",
                    "-c", "unix_socket_directories=\(directory)", "-c", "fsync=off", "-c", "full_page_writes=off",
                    "-c", "max_connections=200", "-c", "ssl=on",
                    "-c", "ssl_cert_file=\(directory)/server.crt", "-c", "ssl_key_file=\(directory)/server.key",
                ]
                // A watchdog beside the server stops it and removes the folder when this
                // process is gone without running its exit handler (killed, or timed out).
                let watchdog = """
                    "$@" & server=$!
                    while [ -d /proc/\(getpid()) ] && kill -0 $server 2>/dev/null; do sleep 1; done
                    kill -QUIT $server 2>/dev/null; wait $server; rm -rf '\(directory)'
                    """
                try launch("/bin/sh", ["-c", watchdog, "postgres-watchdog"] + server, log: log)
                try await waitUntilReady(log: log)
                stopAtExit(data: data, directory: directory)
                return PostgresServer(port: port, directory: directory)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? FixtureError("PostgreSQL did not start")
    }

    /// The server logs to `log`; it is ready when it says so, and failed when it logs a
    /// fatal error first (a taken port, say).
    private static func waitUntilReady(log: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if text.contains("database system is ready to accept connections") { return }
            if text.contains("FATAL") { throw FixtureError("PostgreSQL did not start: \(text.suffix(2000))") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("PostgreSQL did not get ready within 60 s (log: \(log))")
    }

    /// Debian's `postgresql` package puts the server programs outside PATH.
    private static func binaryDirectory() throws -> String {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let candidates = versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
            + ["/usr/local/bin", "/usr/bin"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }) else {
            throw FixtureError("no PostgreSQL server found (initdb in \(candidates.joined(separator: ", "))): run scripts/install-deps.sh")
        }
        return found
    }

    private static var runsAsRoot: Bool { getuid() == 0 }

    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/seatd-postgres-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError("mkdtemp: \(String(cString: strerror(errno)))") }
        let directory = String(cString: made)
        try handOver(directory)
        return directory
    }

    /// Gives a path to the `postgres` user when the tests run as root.
    private static func handOver(_ path: String) throws {
        guard runsAsRoot else { return }
        guard let account = getpwnam("postgres") else {
            throw FixtureError("running as root, and there is no 'postgres' user to run PostgreSQL as")
        }
        guard chown(path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
            throw FixtureError("chown \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Starts a program, as the `postgres` user when root, its output into `log`.
    @discardableResult
    private static func launch(
        _ program: String, _ arguments: [String], log: String, onExit: (@Sendable (Process) -> Void)? = nil
    ) throws -> Process {
        let process = Process()
        process.terminationHandler = onExit
        if runsAsRoot {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "postgres", "--", program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? output.close() }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }

    /// Runs a program to its end; awaited through the termination handler, so no pool
    /// thread blocks.
    private static func run(_ program: String, _ arguments: [String], log: String) async throws {
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            do {
                try launch(program, arguments, log: log) { continuation.resume(returning: $0.terminationStatus) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw FixtureError("\(program) exited with \(status): \(text.suffix(2000))")
        }
    }

    /// The server goes down with the test process: an immediate shutdown (SIGQUIT to the
    /// postmaster), then the folder is removed.
    private static func stopAtExit(data: String, directory: String) {
        stopping.withLock { $0 = (data, directory) }
        atexit {
            guard let (data, directory) = PostgresServer.stopping.withLock({ $0 }),
                  let pidFile = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8),
                  let pid = pidFile.split(separator: "\n").first.flatMap({ pid_t($0) })
            else { return }
            kill(pid, SIGQUIT)
            for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private static let stopping = Mutex<(String, String)?>(nil)
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
