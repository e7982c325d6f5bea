import Foundation
import Logging
import SeatCluster

/// An active node that lost the leadership stops serving at once, by ending the process:
/// every commit it acknowledged is in the shared log already, and the service manager
/// (systemd's Restart=on-failure) starts it again as a standby with a fresh copy.
enum LeadershipLoss {
    /// EX_TEMPFAIL: a temporary condition, worth a restart.
    static let exitStatus: Int32 = 75

    /// After a fenced commit: its callers are being told `notActive` (the store refuses every
    /// later write at once), so the process ends shortly after, not in the middle of that.
    static let replyGrace = 0.2

    static func exitProcessSoon(_ reason: LeadershipLossReason, logger: Logger) {
        DispatchQueue.global().asyncAfter(deadline: .now() + replyGrace) { exitProcess(reason, logger: logger) }
    }

    static func exitProcess(_ reason: LeadershipLossReason, logger: Logger) -> Never {
        logger.critical("cluster: this node lost the leadership and stops serving; it restarts as a standby", metadata: [
            "reason": "\(reason)", "exit_status": "\(exitStatus)",
        ])
        fflush(nil)
        // fflush(nil) flushes every stream (the log). Not exit(): nothing more may run (no atexit handler, no other thread's commit).
        _exit(exitStatus)
    }
}
