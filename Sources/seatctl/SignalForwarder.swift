import Foundation
import Synchronization

/// The write end of the pipe the signal handler writes to. A signal handler cannot capture
/// context, so this one value is process-wide; it is set before any handler is installed.
private let signalPipeWriteEnd = Atomic<Int32>(-1)

/// Forwards SIGINT, SIGTERM and SIGHUP to the child while `seatctl run` holds the seat.
///
/// Only signals sent by a process (`kill`, e.g. a service manager's SIGTERM) are forwarded.
/// Signals the kernel generates for the terminal (Ctrl-C, hang-up) already reach the child,
/// which runs in seatctl's process group; forwarding them too would deliver them twice.
/// Either way seatctl itself keeps running, so it can release the seat once the child exits.
struct SignalForwarder {
    private let readEnd: Int32

    static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Installs the handlers; signals that arrive from now on wait in a pipe until
    /// `forward(to:)` starts delivering them.
    static func install() -> SignalForwarder? {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        signalPipeWriteEnd.store(fds[1], ordering: .sequentiallyConsistent)
        for signal in forwardedSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signal, info, _ in
                // Async-signal-safe only: read an atomic and write(2) one byte.
                guard let info, info.pointee.si_code <= 0 else { return }  // SI_USER, SI_QUEUE, SI_TKILL
                var byte = UInt8(truncatingIfNeeded: signal)
                _ = write(signalPipeWriteEnd.load(ordering: .relaxed), &byte, 1)
            }
            action.sa_flags = SA_SIGINFO | SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
        return SignalForwarder(readEnd: fds[0])
    }

    /// Delivers the signals to `child` until it has ended (`ChildProcess.send` checks).
    func forward(to child: ChildProcess) {
        let readEnd = readEnd
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 {
                    child.send(Int32(byte))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
