/// A configuration problem, always naming the key (and the line, for files).
public indirect enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unknownKey(String, line: Int?)
    case invalidValue(key: String, value: String, expected: String)
    case syntax(line: Int, String)
    case inconsistent(key: String, String)
    case unreadable(path: String, String)
    case atLine(Int, ConfigurationError)
    case duplicateKey(String, firstLine: Int, line: Int)

    public var description: String {
        switch self {
        case .unknownKey(let key, let line):
            return "unknown configuration key '\(key)'" + (line.map { " (line \($0))" } ?? "")
        case .invalidValue(let key, let value, let expected):
            return "invalid value '\(value)' for key '\(key)': expected \(expected)"
        case .syntax(let line, let text):
            return "line \(line): expected 'key = value', found '\(text)'"
        case .inconsistent(let key, let reason):
            return "invalid value for key '\(key)': \(reason)"
        case .unreadable(let path, let reason):
            return "cannot read configuration file \(path): \(reason)"
        case .atLine(let line, let error):
            return "line \(line): \(error)"
        case .duplicateKey(let key, let firstLine, let line):
            return "line \(line): key '\(key)' is already set on line \(firstLine); set each key once"
        }
    }
}
