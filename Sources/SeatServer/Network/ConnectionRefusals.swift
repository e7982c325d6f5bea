import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Why the client listener turned a connection away (or could not accept one).
enum ConnectionRefusalReason: String, CaseIterable, Sendable {
    /// `max_connections` (as lowered to fit the open-file limit) reached.
    case maxConnections = "max_connections"
    /// `max_unauthenticated_per_address` connections from this address have not authenticated.
    case perAddress = "per_address"
    /// `unauthenticated_connections_percent` of `max_connections` have not authenticated.
    case unauthenticated = "unauthenticated"
    /// accept(2) failed (e.g. EMFILE): the connection waits in the backlog; accepting pauses a second.
    case acceptError = "accept_error"
}

/// Rate limit for the refusal log, without I/O or clock: a refusal is logged at once if no
/// line was written for `interval`; otherwise it is counted, and the counts since the last
/// line are written at the end of the interval (`flush`). A flood therefore costs one line
/// per interval, and a single refusal is never hidden.
struct RefusalReport {
    let interval: TimeAmount
    private var lastLine: NIODeadline?
    private var counts: [ConnectionRefusalReason: Int] = [:]
    private var flushArmed = false

    init(interval: TimeAmount) {
        self.interval = interval
    }

    enum Decision: Equatable {
        /// Write a line with these counts now.
        case log([ConnectionRefusalReason: Int])
        /// Counted; call `flush` at this time (`nil`: a flush is already due).
        case held(flushAt: NIODeadline?)
    }

    mutating func note(_ reason: ConnectionRefusalReason, now: NIODeadline) -> Decision {
        counts[reason, default: 0] += 1
        if let lastLine, now < lastLine + interval {
            guard !flushArmed else { return .held(flushAt: nil) }
            flushArmed = true
            return .held(flushAt: lastLine + interval)
        }
        return .log(takeCounts(now: now))
    }

    /// The counts held since the last line, if any.
    mutating func flush(now: NIODeadline) -> [ConnectionRefusalReason: Int]? {
        flushArmed = false
        guard !counts.isEmpty else { return nil }
        return takeCounts(now: now)
    }

    private mutating func takeCounts(now: NIODeadline) -> [ConnectionRefusalReason: Int] {
        lastLine = now
        defer { counts = [:] }
        return counts
    }
}

/// Counts every refused connection in `seatd_connection_refusals_total{reason}` (and, except
/// accept errors, `seatd_connections_refused_total`), and logs them through a `RefusalReport`.
final class ConnectionRefusals: Sendable {
    static let logInterval = TimeAmount.seconds(10)

    private let report = Mutex(RefusalReport(interval: ConnectionRefusals.logInterval))
    /// The last accept error, named in the next line.
    private let lastAcceptError = Mutex<String?>(nil)
    private let metrics: SeatMetrics
    private let logger: Logger
    /// Limits named in the log line, read when it is written.
    private let limits: @Sendable () -> Logger.Metadata

    init(metrics: SeatMetrics, logger: Logger, limits: @escaping @Sendable () -> Logger.Metadata) {
        self.metrics = metrics
        self.logger = logger
        self.limits = limits
    }

    func refused(_ reason: ConnectionRefusalReason, error: (any Error)? = nil) {
        metrics.recordConnectionRefusal(reason)
        if let error { lastAcceptError.withLock { $0 = "\(error)" } }
        let decision = report.withLock { $0.note(reason, now: .now()) }
        switch decision {
        case .log(let counts):
            write(counts)
        case .held(let flushAt?):
            MultiThreadedEventLoopGroup.singleton.any().scheduleTask(deadline: flushAt) { [self] in
                if let counts = report.withLock({ $0.flush(now: .now()) }) { write(counts) }
            }
        case .held(flushAt: nil):
            break
        }
    }

    private func write(_ counts: [ConnectionRefusalReason: Int]) {
        var metadata = limits()
        metadata["count"] = "\(counts.values.reduce(0, +))"
        for (reason, count) in counts { metadata["refused_\(reason.rawValue)"] = "\(count)" }
        if counts[.acceptError] != nil, let error = lastAcceptError.withLock({ $0 }) { metadata["error"] = "\(error)" }
        metadata["interval_seconds"] = "\(Self.logInterval.nanoseconds / 1_000_000_000)"
        logger.warning("connections refused", metadata: metadata)
    }
}

/// On the listening channel: counts and logs accept errors (EMFILE, ENFILE, ENOBUFS, ...),
/// which `AcceptBackoffHandler` in front of it turns into a one-second pause in accepting
/// instead of a busy retry loop.
final class AcceptErrorObserver: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let refusals: ConnectionRefusals

    init(refusals: ConnectionRefusals) {
        self.refusals = refusals
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        refusals.refused(.acceptError, error: error)
    }
}
