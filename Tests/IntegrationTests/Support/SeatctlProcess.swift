import Foundation
import Synchronization

/// The built `seatctl` binary run as a child process, as users run it, with its output
/// collected.
final class SeatctlProcess: Sendable {
    private let process: Process
    private let stdoutCollector = OutputCollector()
    private let stderrCollector = OutputCollector()

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SEATCTL_BIN"] { return path }
        return URL(fileURLWithPath: DaemonProcess.binary).deletingLastPathComponent().appendingPathComponent("seatctl").path
    }

    private init(process: Process) {
        self.process = process
    }

    /// Starts `seatctl arguments…` talking to `daemon` (through `port` if given, e.g. a proxy).
    static func start(_ arguments: [String], daemon: DaemonProcess, port: Int? = nil) throws -> SeatctlProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SEATD_SERVER"] = "127.0.0.1:\(port ?? daemon.port)"
        environment["SEATD_CA"] = daemon.caFile
        process.environment = environment
        let seatctl = SeatctlProcess(process: process)
        process.standardOutput = collect(into: seatctl.stdoutCollector)
        process.standardError = collect(into: seatctl.stderrCollector)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return seatctl
    }

    /// Runs to completion and returns the exit status.
    static func run(_ arguments: [String], daemon: DaemonProcess, port: Int? = nil, timeout: Duration = .seconds(30)) async throws -> (status: Int32, stdout: String, stderr: String) {
        let seatctl = try start(arguments, daemon: daemon, port: port)
        let status = try await seatctl.waitForExit(timeout: timeout)
        return (status, seatctl.stdout, seatctl.stderr)
    }

    var stdout: String { stdoutCollector.text }
    var stderr: String { stderrCollector.text }
    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the exit and returns the status (SIGKILLs and fails after `timeout`).
    func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw SeatctlTimeout(stderr: stderr)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Let the pipes drain the last output.
        try await Task.sleep(for: .milliseconds(50))
        return process.terminationStatus
    }
}

private func collect(into collector: OutputCollector) -> Pipe {
    let pipe = Pipe()
    pipe.fileHandleForReading.readabilityHandler = { handle in
        let data = handle.availableData
        if !data.isEmpty { collector.append(data) }
    }
    return pipe
}

struct SeatctlTimeout: Error, CustomStringConvertible {
    var stderr: String
    var description: String { "seatctl did not exit in time; stderr:\n\(stderr)" }
}
