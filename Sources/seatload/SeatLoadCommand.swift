import ArgumentParser
import Foundation
import SeatBuildInfo
import SeatLoadKit

@main
struct SeatLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seatload",
        abstract: "Load generator for seatd: many TLS clients running the peers' workloads.",
        version: String(cString: seatd_build_version_line()),
        subcommands: [RunCommand.self, PreloadCommand.self, LicensesCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

struct ServerOptions: ParsableArguments {
    @Option(help: "seatd address (loopback only for benchmarks).") var host = "127.0.0.1"
    @Option(help: "seatd port.") var port = 7420
    @Option(help: "PEM file of the CA that signed seatd's certificate (e.g. <state>/tls/ca.pem).") var ca: String
    @Option(help: "Connections per loopback source address (127.0.0.1, .2, ...).") var perSourceAddress = 20_000
    @Option(help: "TLS handshakes in flight while connecting.") var connectWindow = 128
    @Option(help: "Access key every connection authenticates with after Hello (default: $SEATD_ACCESS_KEY; none: anonymous).")
    var accessKey: String?

    var target: LoadRunner.Target {
        LoadRunner.Target(host: host, port: port, caFile: ca, perSourceAddress: perSourceAddress, connectWindow: connectWindow, accessKey: accessKey ?? ProcessInfo.processInfo.environment["SEATD_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

struct HoldOptions: ParsableArguments {
    @Option(help: "Seats per hold license (hold-1..hold-K).") var holdSeats = 1000
    @Option(help: "Number of hold licenses; default: enough for the clients or sessions.") var holdLicenses: Int?
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run one measured point.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var hold: HoldOptions
    @Option(help: "churn | steady | hold") var scenario: String = "churn"
    @Option(help: "Concurrent connections, one request in flight each.") var clients = 16
    @Option(help: "Measured seconds.") var duration = 15.0
    @Option(help: "Open loop: target transactions/s over all clients (default: closed loop).") var rate: Double?
    @Option(help: "hold: seconds between heartbeats of each client.") var holdInterval = 30.0
    @Option(help: "Event-loop threads (default min(clients, 2), like the peers' drivers).") var threads: Int?
    @Option(help: "Run number written into the JSON record.") var run = 1
    @Option(help: "Write the JSON record here.") var jsonOut: String?
    @Flag(help: "First create the benchmark preload (27,500 live sessions) through the protocol.") var preload = false
    @Option(help: "Connections used by --preload.") var preloadConnections = 64
    @Flag(help: "No progress line.") var quiet = false

    func run() async throws {
        guard let scenario = Scenario(rawValue: scenario) else { throw ValidationError("unknown scenario \(self.scenario)") }
        FileLimit.raise(toAtLeast: clients + max(preloadConnections, 0) + 1024)
        let threads = self.threads ?? min(clients, 2)
        if preload {
            let bench = BenchDataSet()
            let keys = (0..<bench.preloadSessionCount).map(bench.preloadKey)
            try await Preloader.run(server: server, keys: keys, connections: preloadConnections, threads: threads, quiet: quiet)
        }
        let target = server.target
        let runner = try LoadRunner(target: target, threads: threads)
        let holdSet = HoldDataSet(sessions: clients, seatsPerLicense: hold.holdSeats)
        let holdData = hold.holdLicenses.map { HoldDataSet(licenses: $0, seats: hold.holdSeats) } ?? holdSet
        let (channels, failed, connectSeconds) = try await runner.connect(count: clients) { index in
            .scenario(ClientMachine(scenario: scenario, holdKey: scenario == .hold ? holdData.key(index) : nil))
        }
        if !quiet {
            FileHandle.standardError.write(Data(String(format: "seatload: %d connected (%d failed) in %.1f s\n", channels.count, failed, connectSeconds).utf8))
        }
        let pacing: LoadWorker.Pacing
        if scenario == .hold {
            pacing = .open(intervalNanoseconds: UInt64(holdInterval * 1e9))
        } else if let rate, rate > 0 {
            pacing = .open(intervalNanoseconds: UInt64(Double(max(1, channels.count)) / rate * 1e9))
        } else {
            pacing = .closed
        }
        var (recorder, elapsed) = try await runner.run(pacing: pacing, seconds: duration, progress: !quiet)
        for _ in 0..<failed { recorder.recordError("connect failed", detail: "see stderr") }
        await runner.close(channels)
        await runner.shutdown()
        let report = LoadReport(scenario: scenario, clients: clients, run: run, durationSeconds: Int(duration.rounded()), elapsedSeconds: elapsed,
                                connectSeconds: connectSeconds, targetRate: rate, recorder: recorder)
        print(report.table())
        let json = report.jsonRecord()
        if let jsonOut {
            try (json + "\n").write(toFile: jsonOut, atomically: true, encoding: .utf8)
        } else {
            print(json)
        }
        if report.failedCount > 0 { throw ExitCode(3) }
    }
}

struct PreloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "preload", abstract: "Create live sessions through the protocol.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var hold: HoldOptions
    @Option(help: "bench: the peers' 27,500 sessions; hold: --sessions sessions on the hold licenses.") var set = "bench"
    @Option(help: "hold: number of sessions.") var sessions = 0
    @Option(help: "Connections.") var connections = 64
    @Option(help: "Event-loop threads.") var threads = 2
    @Flag(help: "No progress output.") var quiet = false

    func run() async throws {
        FileLimit.raise(toAtLeast: connections + 1024)
        let keys: [AcquireKey]
        switch set {
        case "bench":
            let bench = BenchDataSet()
            keys = (0..<bench.preloadSessionCount).map(bench.preloadKey)
        case "hold":
            let data = hold.holdLicenses.map { HoldDataSet(licenses: $0, seats: hold.holdSeats) } ?? HoldDataSet(sessions: sessions, seatsPerLicense: hold.holdSeats)
            keys = (0..<sessions).map(data.key)
        default:
            throw ValidationError("--set is bench or hold")
        }
        try await Preloader.run(server: server, keys: keys, connections: connections, threads: threads, quiet: quiet)
    }
}

struct LicensesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "licenses", abstract: "Write a licenses file for seatd (licenses_file).")

    @OptionGroup var hold: HoldOptions
    @Flag(inversion: .prefixedNo, help: "Include the benchmark licenses lic-1..lic-1000 (50 seats).") var bench = true
    @Option(help: "Add hold licenses for this many sessions (hold scenario, restart test).") var holdSessions = 0
    @Option(help: "Output file.") var out: String

    func run() throws {
        let holdData: HoldDataSet? = holdSessions > 0 || hold.holdLicenses != nil
            ? (hold.holdLicenses.map { HoldDataSet(licenses: $0, seats: hold.holdSeats) } ?? HoldDataSet(sessions: holdSessions, seatsPerLicense: hold.holdSeats))
            : nil
        try LicenseFileWriter.json(bench: bench ? BenchDataSet() : nil, hold: holdData).write(toFile: out, atomically: true, encoding: .utf8)
    }
}
