import Foundation

/// Runs a program to completion (seatd subcommands, the project's scripts) and returns
/// its exit status and combined output.
enum ChildCommand {
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(300)) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(
            executable, arguments,
            environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 },
            mergingStandardError: true
        )
        guard let status = await child.waitForExit(timeout: timeout) else {
            child.signal(SIGKILL)
            throw ChildCommandTimeout(command: ([executable] + arguments).joined(separator: " "), output: child.standardOutput.text)
        }
        return (status, child.standardOutput.text)
    }

    /// The repository root (scripts/, systemd/).
    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}

struct ChildCommandTimeout: Error, CustomStringConvertible {
    var command: String
    var output: String
    var description: String { "\(command) did not exit in time; output:\n\(output.suffix(4000))" }
}
