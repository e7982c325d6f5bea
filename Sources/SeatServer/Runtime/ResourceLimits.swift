import Glibc
import Logging

enum ResourceLimits {
    /// Raises the soft open-file limit to the hard limit: every client holds a descriptor,
    /// and the common default soft limit of 1,024 is far below what a site needs.
    static func raiseOpenFileLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            logger.info("raised the open-file limit", metadata: ["nofile": "\(limit.rlim_cur)"])
        }
    }
}
