import Foundation

/// A child process whose exit and output are awaited without occupying a pool thread: the
/// exit arrives through `terminationHandler` and the output is read by a thread of its own,
/// and they resume the waiting tasks. (A blocking `waitUntilExit` or `readDataToEndOfFile`
/// inside a task holds one of the cooperative pool's threads, two on a 2-core machine, and
/// starves every other test.) Not `readabilityHandler`: on Linux, tearing down its dispatch
/// read sources concurrently corrupts libdispatch's epoll bookkeeping and crashes the test
/// process (swift-corelibs-libdispatch issue 949).
final class ChildProcess: Sendable {
    private let process: Process
    /// The standard output, and the standard error too when they are merged.
    let standardOutput = OutputCollector()
    /// The standard error when it is kept apart.
    let standardError = OutputCollector()
    private let exit = Latch<Int32>()
    private let outputEnded = Latch<Void>()
    private let errorEnded = Latch<Void>()

    /// Starts `executable` with `arguments`. `environment` replaces the inherited one when
    /// given; `onExit` runs once, on Foundation's thread, when the process has exited.
    init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        mergingStandardError: Bool, onExit: @escaping @Sendable () -> Void = {}
    ) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        Self.collect(output, into: standardOutput, ended: outputEnded)
        if mergingStandardError {
            process.standardError = output
            errorEnded.set(())
        } else {
            let error = Pipe()
            process.standardError = error
            Self.collect(error, into: standardError, ended: errorEnded)
        }
        process.terminationHandler = { [exit] process in
            exit.set(process.terminationStatus)
            onExit()
        }
        try process.run()
    }

    var processIdentifier: Int32 { process.processIdentifier }
    var isRunning: Bool { exit.value == nil }
    /// The exit status, once exited.
    var exitStatus: Int32? { exit.value }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits up to `timeout` for the exit, then (briefly) for the output's end, so that
    /// everything the process wrote has been collected. Nil if it is still running.
    func waitForExit(timeout: Duration) async -> Int32? {
        guard let status = await exit.wait(timeout: timeout) else { return nil }
        // A grandchild may hold the pipe open; the output is complete in every other case.
        _ = await outputEnded.wait(timeout: .seconds(5))
        _ = await errorEnded.wait(timeout: .seconds(5))
        return status
    }

    private static func collect(_ pipe: Pipe, into collector: OutputCollector, ended: Latch<Void>) {
        let handle = pipe.fileHandleForReading
        let reader = Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                collector.append(data)
            }
            ended.set(())
        }
        reader.name = "child-output"
        reader.start()
    }
}
