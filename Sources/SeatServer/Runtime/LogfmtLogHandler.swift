import Foundation
import Logging
import Synchronization

/// One `logfmt` line per event on standard output (journald keeps it as is):
/// `time=… level=info msg="listening" address=127.0.0.1:7420`.
/// Callers never put tokens, keys or secrets into messages or metadata.
public struct LogfmtLogHandler: LogHandler {
    /// The shared level (changed by a SIGHUP reload of `log_level`), unless this one
    /// logger was given its own.
    public var logLevel: Logger.Level {
        get { ownLevel ?? control.level }
        set { ownLevel = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let control: LogLevelControl
    private var ownLevel: Logger.Level?

    public init(label: String, level: Logger.Level) {
        self.init(label: label, control: LogLevelControl(level))
    }

    public init(label: String, control: LogLevelControl) {
        self.label = label
        self.control = control
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata {
            if merged.isEmpty { merged = extra } else { merged.merge(extra) { $1 } }
        }
        let line = LogfmtLine.render(millisecondsSinceEpoch: SystemClock.wallMilliseconds(), level: event.level, message: event.message.description, metadata: merged)
        Self.output.withLock { _ in Self.writeAll(line) }
    }

    /// Serialises writers so concurrent lines never interleave.
    private static let output = Mutex<Void>(())

    /// One `write(2)` per line (a line is never split between writers); a write cut short
    /// by a signal or a full pipe continues where it stopped. A line that cannot be
    /// written (closed output) is dropped: logging never stops the server.
    private static func writeAll(_ line: [UInt8]) {
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else if written < 0 && errno == EAGAIN {
                    // Output someone made non-blocking: wait for room (at most a second).
                    var ready = pollfd(fd: STDOUT_FILENO, events: Int16(POLLOUT), revents: 0)
                    if poll(&ready, 1, 1000) <= 0 { return }
                } else {
                    return
                }
            }
        }
    }
}

/// The log level every `LogfmtLogHandler` made with it follows; set on SIGHUP.
public final class LogLevelControl: Sendable {
    private let current: Atomic<UInt8>

    public init(_ level: Logger.Level) {
        current = Atomic(Self.levels.firstIndex(of: level).map(UInt8.init) ?? 2)
    }

    public var level: Logger.Level {
        get { Self.levels[Int(current.load(ordering: .relaxed))] }
        set { current.store(UInt8(Self.levels.firstIndex(of: newValue)!), ordering: .relaxed) }
    }

    private static let levels = Logger.Level.allCases
}
