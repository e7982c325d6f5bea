import Foundation
import SeatCore

/// The JSON license list an administrator (or, later, the admin tooling) maintains:
///
/// ```json
/// { "licenses": [ { "key": "ACME-CAD-5", "seats": 5, "tier": "pro",
///                   "features": { "export": "step" }, "expires": "2027-12-31T23:59:59Z",
///                   "state": "active" } ] }
/// ```
/// `tier`, `features`, `expires` (null: never) and `state` (active, suspended, revoked) are optional.
public enum LicenseFile {
    public static func load(path: String) throws(LicenseFileError) -> [License] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        return try parse(data)
    }

    public static func parse(_ data: Data) throws(LicenseFileError) -> [License] {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalid(path: Self.path(context.codingPath + [key]), "is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context), let DecodingError.dataCorrupted(context) {
            throw .invalid(path: Self.path(context.codingPath), context.debugDescription)
        } catch {
            throw .invalid(path: "", "\(error)")
        }
        var seen = Set<String>()
        var licenses: [License] = []
        for (index, entry) in document.licenses.enumerated() {
            let license = try entry.license(at: "licenses[\(index)]")
            guard seen.insert(license.key).inserted else {
                throw .invalid(path: "licenses[\(index)].key", "duplicate license key '\(license.key)'")
            }
            licenses.append(license)
        }
        return licenses
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            .joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    private struct Document: Decodable {
        var licenses: [Entry]
    }

    private struct Entry: Decodable {
        var key: String
        var seats: Int
        var tier: String?
        var features: [String: String]?
        var expires: String?
        var state: LicenseState?

        func license(at path: String) throws(LicenseFileError) -> License {
            try LicenseFile.check(path + ".key", key, bytes: 1...128)
            guard (0...1_000_000).contains(seats) else { throw .invalid(path: path + ".seats", "must be 0...1000000") }
            try LicenseFile.check(path + ".tier", tier ?? "", bytes: 0...64)
            let features = features ?? [:]
            guard features.count <= 64 else { throw .invalid(path: path + ".features", "at most 64 features") }
            for (name, value) in features {
                try LicenseFile.check(path + ".features.\(name)", name, bytes: 1...64)
                try LicenseFile.check(path + ".features.\(name)", value, bytes: 0...256)
            }
            var expiresAt: Timestamp?
            if let expires {
                guard let date = ISO8601DateFormatter().date(from: expires) else {
                    throw .invalid(path: path + ".expires", "expected an ISO 8601 time such as 2027-12-31T23:59:59Z")
                }
                expiresAt = Timestamp(millisecondsSinceEpoch: Int64(date.timeIntervalSince1970 * 1000))
            }
            return License(key: key, seats: seats, tier: tier ?? "", features: features, expiresAt: expiresAt, state: state ?? .active)
        }
    }

    /// Limits match what the wire format can carry (see protocol-spec.md).
    private static func check(_ path: String, _ value: String, bytes range: ClosedRange<Int>) throws(LicenseFileError) {
        guard range.contains(value.utf8.count) else {
            throw .invalid(path: path, "must be \(range.lowerBound)...\(range.upperBound) bytes of UTF-8")
        }
    }
}

public enum LicenseFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case invalid(path: String, String)

    public var description: String {
        switch self {
        case .unreadable(let file): "cannot read license file \(file)"
        case .invalid(let path, let reason): "license file: \(path.isEmpty ? "document" : path) \(reason)"
        }
    }
}
