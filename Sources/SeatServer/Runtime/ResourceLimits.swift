import Glibc
import Logging

enum ResourceLimits {
    /// Descriptors never given to client connections: the store (data.mdb, lock.mdb), the
    /// state directory lock, the listeners, the admin socket and its connections, the
    /// health listener's connections (at most `HealthServer.maximumConnections`), the
    /// notify socket, log pipes and the files a reload reads.
    static let reservedDescriptors = 256

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

    /// The soft open-file limit in force.
    static var openFileLimit: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY (all ones) clamps to Int.max
    }

    /// `max_connections` as it can be honoured under `fileLimit`: client connections stop
    /// `reservedDescriptors` short of the limit, so a full client port never leaves the
    /// store, the admin socket, the health listener or the watchdog without a descriptor.
    static func connectionLimit(configured: Int, fileLimit: Int) -> Int {
        min(configured, max(1, fileLimit - reservedDescriptors))
    }

    /// `connectionLimit` for this process, logging when it is below the configuration.
    static func effectiveConnectionLimit(configured: Int, logger: Logger) -> Int {
        let fileLimit = openFileLimit
        let limit = connectionLimit(configured: configured, fileLimit: fileLimit)
        if limit < configured {
            logger.warning("max_connections lowered to fit the open-file limit; raise LimitNOFILE= to allow more", metadata: [
                "max_connections": "\(configured)", "effective": "\(limit)", "nofile": "\(fileLimit)",
                "reserved": "\(reservedDescriptors)",
            ])
        }
        return limit
    }
}
