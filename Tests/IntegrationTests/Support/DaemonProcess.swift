import Foundation
import SeatClient
import Synchronization
import Testing

/// The real `seatd` binary, run as a child process on a private state directory and a
/// free loopback port, so tests exercise exactly what users run (and can SIGKILL it).
/// At most `DaemonSlots.shared` daemons run at once.
final class DaemonProcess: Sendable {
    let stateDirectory: String
    let port: Int
    private let process: ChildProcess
    private let slot: DaemonSlot
    private var output: OutputCollector { process.standardOutput }

    var caFile: String { stateDirectory + "/tls/ca.pem" }
    var licensesFile: String { stateDirectory + "/licenses.json" }
    var log: String { output.text }

    private init(stateDirectory: String, port: Int, process: ChildProcess, slot: DaemonSlot) {
        self.stateDirectory = stateDirectory
        self.port = port
        self.process = process
        self.slot = slot
    }

    /// For the tests that check durability (SIGKILL and restart, a full disk): the others
    /// run at `nosync`, which spares the machine's disk and the suite's time.
    static let durable = ["durability": "fsync"]

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SEATD_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/seatd").path
    }

    static func makeStateDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seatd-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts seatd with short test timings unless overridden, writing `licenses` to its licenses file.
    static func start(
        licenses: [TestLicense],
        stateDirectory: String = makeStateDirectory(),
        settings: [String: String] = [:],
        configFile: String? = nil,
        environment: [String: String] = [:],
        launcher: [String] = [],
        queue: DaemonSlots.Place = .inTurn
    ) async throws -> DaemonProcess {
        try TestLicense.write(licenses, to: stateDirectory + "/licenses.json")
        return try await start(stateDirectory: stateDirectory, settings: settings, configFile: configFile, environment: environment, launcher: launcher, queue: queue)
    }

    /// Starts seatd on an existing state directory (e.g. after a kill), keeping its licenses file.
    /// `settings` become -o overrides (they win over `configFile`); `environment` is added
    /// to the child's environment (e.g. NOTIFY_SOCKET). `slot`: the place of a daemon
    /// killed with `killKeepingSlot` (otherwise it waits for a free one). `launcher`: a
    /// command that runs seatd (e.g. `prlimit --nofile=512:512`); its process is the
    /// daemon's, so it must exec seatd rather than fork it. `queue`: where it waits for a
    /// slot (`DaemonSlots.Place`).
    static func start(
        stateDirectory: String,
        settings: [String: String] = [:],
        configFile: String? = nil,
        environment: [String: String] = [:],
        slot inherited: DaemonSlot? = nil,
        launcher: [String] = [],
        queue: DaemonSlots.Place = .inTurn
    ) async throws -> DaemonProcess {
        var effective = [
            "listen_address": "127.0.0.1",
            "port": "0",
            "state_directory": stateDirectory,
            "licenses_file": stateDirectory + "/licenses.json",
            "log_level": "debug",
            // TestLicense writes unsigned licenses; the signing tests turn this off.
            "development_mode": "true",
            // Tests run in parallel: never the fixed default metrics and dashboard ports.
            "metrics_port": "0",
            "dashboard_port": "0",
            // Most tests are about seats, not authentication: their clients act for the
            // default tenant without a key. Access tests set this to "".
            "anonymous_tenant": "default",
            // Acknowledged writes still survive a crash of the process; see `durable`.
            "durability": "nosync",
        ]
        effective.merge(settings) { $1 }
        let arguments = (configFile.map { ["--config", $0] } ?? []) + effective.sorted { $0.key < $1.key }.flatMap { ["-o", "\($0.key)=\($0.value)"] }
        let slot: DaemonSlot
        if let inherited {
            slot = inherited
        } else {
            try await DaemonSlots.shared.take(queue)
            slot = DaemonSlot()
        }
        let process: ChildProcess
        do {
            process = try ChildProcess(
                launcher.first ?? binary, Array(launcher.dropFirst()) + (launcher.isEmpty ? [] : [binary]) + arguments,
                environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 },
                mergingStandardError: true, onExit: { slot.letGo() }
            )
        } catch {
            slot.letGo()
            throw error
        }
        do {
            let port = try await process.standardOutput.waitForListeningPort(process: process)
            return DaemonProcess(stateDirectory: stateDirectory, port: port, process: process, slot: slot)
        } catch {
            if process.isRunning { process.signal(SIGKILL) }
            _ = await process.waitForExit(timeout: .seconds(60))
            throw error
        }
    }

    func clientConfiguration(requestTimeout: Duration = .seconds(10)) -> SeatClientConfiguration {
        SeatClientConfiguration(host: "127.0.0.1", port: port, trustRootsFile: caFile, requestTimeout: requestTimeout, clientName: "tests")
    }

    func connect() async throws -> SeatConnection {
        try await SeatConnection.connect(clientConfiguration())
    }

    /// SIGKILL: no flush, no clean shutdown, like a crash or power cut of the process.
    func kill() async {
        process.signal(SIGKILL)
        await waitForExit()
    }

    /// SIGKILL, keeping this daemon's slot for the restart that follows
    /// (`start(stateDirectory:…, slot:)`).
    func killKeepingSlot() async -> DaemonSlot {
        let kept = slot.hold()
        await kill()
        return kept
    }

    /// SIGTERM, then waits; returns the exit status (-1 if it did not exit in time).
    @discardableResult
    func terminate() async -> Int32 {
        process.signal(SIGTERM)
        await waitForExit()
        return exitStatus
    }

    func signal(_ number: Int32) {
        process.signal(number)
    }

    var isRunning: Bool { process.isRunning }

    /// The exit status once the daemon has exited; -1 while it runs.
    var exitStatus: Int32 { process.exitStatus ?? -1 }

    var processIdentifier: Int32 { process.processIdentifier }

    /// The port of the health and metrics listener, from its log line.
    func metricsPort() async throws -> Int {
        let line = try await waitForLog(containing: "msg=\"health and metrics listening\"")
        guard let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
              let port = address.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw DaemonStartError(log: log, status: -1)
        }
        return port
    }

    /// Waits for the first log line containing `text` (after `skipping` earlier matches).
    @discardableResult
    func waitForLog(containing text: String, skipping: Int = 0, timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let matches = log.split(separator: "\n").filter { $0.contains(text) }
            if matches.count > skipping { return String(matches[skipping]) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw LogLineMissing(text: text, log: log)
    }

    func waitForExit(timeout: Duration = .seconds(60)) async {
        _ = await process.waitForExit(timeout: timeout)
    }

    /// Stops the daemon (if running) and removes its state directory.
    func cleanUp() async {
        if process.isRunning { await kill() }
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }
}

/// Collects the daemon's output and finds its "listening" line.
final class OutputCollector: Sendable {
    private let buffer = Mutex<String>("")

    func append(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        buffer.withLock { $0 += text }
    }

    var text: String { buffer.withLock { $0 } }

    func waitForListeningPort(process: ChildProcess) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            for line in text.split(separator: "\n") where line.contains("msg=listening") {
                if let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
                   let port = address.split(separator: ":").last.flatMap({ Int($0) }) {
                    return port
                }
            }
            if let status = process.exitStatus {
                throw DaemonStartError(log: text, status: status)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw DaemonStartError(log: text, status: -1)
    }
}

struct LogLineMissing: Error, CustomStringConvertible {
    var text: String
    var log: String
    var description: String { "no log line containing \(text) in:\n\(log.suffix(4000))" }
}

struct DaemonStartError: Error, CustomStringConvertible {
    var log: String
    var status: Int32
    var description: String { "seatd did not start (status \(status)):\n\(log)" }
}

/// A license as the test writes it into the daemon's licenses file.
struct TestLicense {
    var key: String
    var seats: Int
    var tier = "standard"
    var features: [String: String] = [:]
    var expires: String?
    var state = "active"
    /// Absent: the default tenant.
    var tenant: String?

    static func write(_ licenses: [TestLicense], to path: String) throws {
        let entries: [[String: Any]] = licenses.map { license in
            var entry: [String: Any] = ["key": license.key, "seats": license.seats, "tier": license.tier, "features": license.features, "state": license.state]
            if let expires = license.expires { entry["expires"] = expires }
            if let tenant = license.tenant { entry["tenant"] = tenant }
            return entry
        }
        let data = try JSONSerialization.data(withJSONObject: ["licenses": entries], options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
}

/// Runs `body` with a started daemon and always cleans up after it.
func withDaemon<Result>(
    licenses: [TestLicense],
    settings: [String: String] = [:],
    _ body: (DaemonProcess) async throws -> Result
) async throws -> Result {
    try await DaemonProcess.start(licenses: licenses, settings: settings).use(body)
}

extension DaemonProcess {
    /// Runs `body`, then stops the daemon and removes its state; on failure the daemon's
    /// log is attached to the test.
    func use<Result>(_ body: (DaemonProcess) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(self)
            await cleanUp()
            return result
        } catch {
            Issue.record("daemon log:\n\(log.suffix(4000))")
            await cleanUp()
            throw error
        }
    }
}
