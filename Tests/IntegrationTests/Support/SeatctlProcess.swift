import Foundation

/// The built `seatctl` binary run as a child process, as users run it, with its output
/// collected.
final class SeatctlProcess: Sendable {
    private let child: ChildProcess

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SEATCTL_BIN"] { return path }
        return URL(fileURLWithPath: DaemonProcess.binary).deletingLastPathComponent().appendingPathComponent("seatctl").path
    }

    private init(child: ChildProcess) {
        self.child = child
    }

    /// Starts `seatctl arguments…` talking to `daemon` (through `port` if given, e.g. a proxy).
    static func start(_ arguments: [String], daemon: DaemonProcess, port: Int? = nil) throws -> SeatctlProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["SEATD_SERVER"] = "127.0.0.1:\(port ?? daemon.port)"
        environment["SEATD_CA"] = daemon.caFile
        return SeatctlProcess(child: try ChildProcess(binary, arguments, environment: environment, mergingStandardError: false))
    }

    /// Runs to completion and returns the exit status.
    static func run(_ arguments: [String], daemon: DaemonProcess, port: Int? = nil, timeout: Duration = .seconds(60)) async throws -> (status: Int32, stdout: String, stderr: String) {
        let seatctl = try start(arguments, daemon: daemon, port: port)
        let status = try await seatctl.waitForExit(timeout: timeout)
        return (status, seatctl.stdout, seatctl.stderr)
    }

    var stdout: String { child.standardOutput.text }
    var stderr: String { child.standardError.text }
    var isRunning: Bool { child.isRunning }

    func signal(_ number: Int32) {
        child.signal(number)
    }

    /// Waits for the exit and the end of its output, and returns the status (SIGKILLs and
    /// fails after `timeout`).
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        guard let status = await child.waitForExit(timeout: timeout) else {
            child.signal(SIGKILL)
            throw SeatctlTimeout(stderr: stderr)
        }
        return status
    }
}

struct SeatctlTimeout: Error, CustomStringConvertible {
    var stderr: String
    var description: String { "seatctl did not exit in time; stderr:\n\(stderr)" }
}
