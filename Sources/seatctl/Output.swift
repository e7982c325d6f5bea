import Foundation
import SeatCore
import SeatProtocol

/// Prints results as aligned `key: value` lines for people, or one JSON object with --json.
enum Output {
    enum Value {
        case string(String)
        case number(Double)
        case bool(Bool)
        case time(Timestamp)
        case object([String: String])
        case null

        var json: Any {
            switch self {
            case .string(let text): text
            case .number(let number): number.rounded() == number ? Int64(number) as Any : number
            case .bool(let flag): flag
            case .time(let time): Output.iso8601(time)
            case .object(let object): object
            case .null: NSNull()
            }
        }

        var text: String {
            switch self {
            case .string(let text): text
            case .number(let number): number.rounded() == number ? String(Int64(number)) : String(number)
            case .bool(let flag): flag ? "yes" : "no"
            case .time(let time): Output.iso8601(time)
            case .object(let object): object.isEmpty ? "-" : object.keys.sorted().map { "\($0)=\(object[$0]!)" }.joined(separator: ", ")
            case .null: "-"
            }
        }
    }

    static func print(_ json: Bool, _ fields: [(String, Value)]) {
        if json {
            Swift.print(encode(Dictionary(fields.map { ($0.0, $0.1.json) }, uniquingKeysWith: { $1 })))
        } else {
            let width = fields.map(\.0.count).max() ?? 0
            for (key, value) in fields {
                Swift.print(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value.text)
            }
        }
    }

    static func error(_ json: Bool, code: String, message: String, detail: [(String, Value)]) {
        let text: String
        if json {
            var object: [String: Any] = ["error": code, "message": message]
            for (key, value) in detail { object[key] = value.json }
            text = encode(object)
        } else {
            text = "seatctl: \(message) (\(code))" + detail.map { "\n  \($0.0): \($0.1.text)" }.joined()
        }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// A line for people on stderr, prefixed with "seatctl: ".
    static func note(_ text: String) {
        FileHandle.standardError.write(Data("seatctl: \(text)\n".utf8))
    }

    static func fields(of detail: ErrorDetail) -> [(String, Value)] {
        switch detail {
        case .noSeats(let total, let inUse, let next):
            [("seats_total", .number(Double(total))), ("seats_in_use", .number(Double(inUse))), ("next_free_at", .time(next))]
        case .policyDenied(let reason, let limit, let total, let inUse, let reservedFreeSeats):
            [("reason", .string(detail.policySentence ?? "\(reason)")), ("policy_reason", .string("\(reason)")),
             ("limit", .number(Double(limit))), ("seats_total", .number(Double(total))), ("seats_in_use", .number(Double(inUse))),
             ("reserved_free_seats", .number(Double(reservedFreeSeats)))]
        case .supportedVersions(let minimum, let maximum):
            [("supported_versions", .string("\(minimum)...\(maximum)"))]
        case .licenseExpired(let at):
            [("expired_at", .time(at))]
        case .retryAfter(let milliseconds):
            [("retry_after_seconds", .number(Double(milliseconds) / 1000))]
        case .activeNode(let address):
            [("active_node", .string(address))]
        case .none, .raw:
            []
        }
    }

    static func iso8601(_ time: Timestamp) -> String {
        Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000).formatted(.iso8601)
    }

    private static func encode(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
