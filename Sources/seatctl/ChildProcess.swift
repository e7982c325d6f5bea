import Foundation
import Synchronization

/// How a child process ended.
enum ChildExit: Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// The status a shell reports: the exit code, or 128 + the signal number.
    var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
}

/// A command run with `posix_spawnp`, inheriting stdin, stdout, stderr, the environment and
/// the process group (so the terminal's Ctrl-C reaches it directly).
///
/// posix_spawn rather than Foundation `Process`: the child must start with default
/// dispositions for the signals seatctl handles or ignores (SIGINT, SIGTERM, SIGHUP, SIGPIPE)
/// and an empty signal mask, and must not get new stdio pipes or its own process group;
/// posix_spawn states all of that explicitly, and `waitid(WNOWAIT)` lets seatctl stop
/// signalling the child before its pid is reaped and could be reused.
final class ChildProcess: Sendable {
    let pid: pid_t
    /// Set once the child has ended, before its pid is reaped; signals are only sent while
    /// it is false (under the lock), so none can reach a reused pid.
    private let ended = Mutex(false)

    enum SpawnError: Error, CustomStringConvertible {
        case failed(command: String, errno: Int32)

        var description: String {
            switch self {
            case .failed(let command, let code): "cannot run \(command): \(String(cString: strerror(code)))"
            }
        }

        /// What a shell exits with: 127 for a command not found, 126 when it cannot run.
        var shellStatus: Int32 {
            switch self {
            case .failed(_, let code): code == ENOENT ? 127 : 126
            }
        }
    }

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `arguments[0]` (looked up in PATH) with `arguments`.
    static func spawn(_ arguments: [String], resettingSignals signals: [Int32]) throws(SpawnError) -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in signals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let result = posix_spawnp(&pid, arguments[0], nil, &attributes, &argv, environ)
        guard result == 0 else { throw .failed(command: arguments[0], errno: result) }
        return ChildProcess(pid: pid)
    }

    var hasExited: Bool { ended.withLock { $0 } }

    /// Sends `signal` unless the child has already ended.
    func send(_ signal: Int32) {
        ended.withLock { ended in
            if !ended { _ = kill(pid, signal) }
        }
    }

    /// Waits for the child to end and reaps it. Call once.
    func waitForExit() async -> ChildExit {
        await withCheckedContinuation { continuation in
            // waitid blocks a whole thread; keep it off the cooperative pool.
            Thread.detachNewThread { [self] in
                var info = siginfo_t()
                while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
                ended.withLock { $0 = true }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                // The wait status: low 7 bits are the terminating signal, 0 for a normal exit.
                let result: ChildExit = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
                continuation.resume(returning: result)
            }
        }
    }

    /// SIGTERM, then SIGKILL if the child is still running after `grace`.
    func terminate(grace: Duration) async {
        send(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while !hasExited, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        send(SIGKILL)
    }
}
