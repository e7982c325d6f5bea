import Foundation
import SeatCore

/// The members of one admin request object, read with errors that name the member.
struct AdminArguments {
    let operation: String
    private let members: [String: Any]

    init(json: String) throws(AdminFailure) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)), let members = object as? [String: Any] else {
            throw .invalidRequest("the request is not a JSON object")
        }
        guard let operation = members["op"] as? String else { throw .invalidRequest("the request has no \"op\" string") }
        self.operation = operation
        self.members = members
    }

    func optionalString(_ name: String) throws(AdminFailure) -> String? {
        guard let value = members[name] else { return nil }
        guard let string = value as? String else { throw .invalidRequest("\"\(name)\" must be a string") }
        return string
    }

    func string(_ name: String) throws(AdminFailure) -> String {
        guard let string = try optionalString(name) else { throw .invalidRequest("\"\(operation)\" needs \"\(name)\"") }
        return string
    }

    func optionalInteger(_ name: String) throws(AdminFailure) -> Int? {
        guard let value = members[name] else { return nil }
        guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue) else {
            throw .invalidRequest("\"\(name)\" must be an integer")
        }
        return integer
    }

    func optionalTime(_ name: String) throws(AdminFailure) -> Timestamp? {
        guard let text = try optionalString(name) else { return nil }
        guard let time = AdminTime.parse(text) else {
            throw .invalidRequest("\"\(name)\" must be an ISO 8601 time such as 2026-11-21T10:00:00Z")
        }
        return time
    }

    func optionalStrings(_ name: String) throws(AdminFailure) -> [String]? {
        guard let value = members[name] else { return nil }
        guard let strings = value as? [String] else { throw .invalidRequest("\"\(name)\" must be an array of strings") }
        return strings
    }

    func object(_ name: String) throws(AdminFailure) -> Any {
        guard let value = members[name], value is [String: Any] else { throw .invalidRequest("\"\(operation)\" needs the object \"\(name)\"") }
        return value
    }
}

/// Times in admin JSON: ISO 8601, UTC, milliseconds.
enum AdminTime {
    static func format(_ time: Timestamp) -> String {
        formatter(fractionalSeconds: true).string(from: Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000))
    }

    static func parse(_ text: String) -> Timestamp? {
        guard let date = formatter(fractionalSeconds: true).date(from: text) ?? formatter(fractionalSeconds: false).date(from: text) else {
            return nil
        }
        return Timestamp(millisecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    private static func formatter(fractionalSeconds: Bool) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = fractionalSeconds ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter
    }
}
