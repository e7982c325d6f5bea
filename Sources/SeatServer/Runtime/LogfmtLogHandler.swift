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
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = "time=\(Self.timestamp()) level=\(event.level) msg=\(Self.quote(event.message.description))"
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quote(merged[key]!.description))"
        }
        line += "\n"
        Self.output.withLock { _ in
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }

    /// Serialises writers so concurrent lines never interleave.
    private static let output = Mutex<Void>(())

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.isNewline }
        guard needsQuotes else { return value }
        var escaped = ""
        for character in value {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            default: escaped.append(character)
            }
        }
        return "\"" + escaped + "\""
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
