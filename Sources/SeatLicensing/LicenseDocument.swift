import Foundation
import SeatCore

/// The JSON license document: the `licenses_file` an administrator points seatd at, the
/// file a vendor signs and ships, and what `seatctl license import` sends.
///
/// ```json
/// { "licenses": [ { "key": "ACME-CAD-5", "tenant": "acme", "seats": 5, "overage": "+1", "tier": "pro",
///                   "features": { "export": "step" }, "expires": "2027-12-31T23:59:59Z",
///                   "issued": "2026-01-15T09:30:00Z", "serial": "4f1c2a9e0b7d3e55",
///                   "state": "active",
///                   "signature": { "key_id": "0a1b2c3d4e5f6789", "ed25519": "<base64>" } } ] }
/// ```
/// Everything but `key` and `seats` is optional; docs/license-files.md describes each field.
public enum LicenseDocument {
    /// Parses and checks every entry; the first problem rejects the whole document.
    public static func parse(_ data: Data) throws(LicenseDocumentError) -> [LicenseEntry] {
        let document: RawDocument
        do {
            document = try JSONDecoder().decode(RawDocument.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalid(path: path(context.codingPath + [key]), "is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context), let DecodingError.dataCorrupted(context) {
            throw .invalid(path: path(context.codingPath), context.debugDescription)
        } catch {
            throw .invalid(path: "", "\(error)")
        }
        var seen = Set<String>()
        var entries: [LicenseEntry] = []
        for (index, raw) in document.licenses.enumerated() {
            let entry = try raw.entry(at: "licenses[\(index)]")
            guard seen.insert(entry.key).inserted else {
                throw .invalid(path: "licenses[\(index)].key", "duplicate license key '\(entry.key)'")
            }
            entries.append(entry)
        }
        return entries
    }

    /// The document for `entries`, pretty-printed with sorted keys (so a signed file diffs
    /// cleanly). Parsing it gives back `entries`.
    public static func encode(_ entries: [LicenseEntry]) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and dictionaries cannot fail.
        let data = (try? encoder.encode(RawDocument(licenses: entries.map(RawEntry.init)))) ?? Data()
        return data + Data("\n".utf8)
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            .joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// Limits match what the wire format and the store can carry (see protocol-spec.md).
    fileprivate static func check(_ path: String, _ value: String, bytes range: ClosedRange<Int>) throws(LicenseDocumentError) {
        guard range.contains(value.utf8.count) else {
            throw .invalid(path: path, "must be \(range.lowerBound)...\(range.upperBound) bytes of UTF-8")
        }
    }
}

private struct RawDocument: Codable {
    var licenses: [RawEntry]
}

/// An entry exactly as the JSON spells it.
private struct RawEntry: Codable {
    var key: String
    var tenant: String?
    var seats: Int
    /// `none`, `+N` or a factor such as `1.25x` (`Overage(text:)`); absent is none.
    var overage: String?
    /// `session` (absent), `user` or `host`.
    var seat_counting: String?
    var tier: String?
    var features: [String: String]?
    var expires: String?
    var issued: String?
    var serial: String?
    var state: LicenseState?
    var signature: RawSignature?

    init(_ entry: LicenseEntry) {
        key = entry.key
        tenant = entry.tenant
        seats = entry.seats
        overage = entry.overage == .none ? nil : entry.overage.description
        seat_counting = entry.seatCounting == .session ? nil : entry.seatCounting.rawValue
        tier = entry.tier
        features = entry.features.isEmpty ? nil : entry.features
        expires = entry.expiresAt.map(LicenseTime.format)
        issued = entry.issuedAt.map(LicenseTime.format)
        serial = entry.serial
        state = entry.state
        signature = entry.signature.map { RawSignature(key_id: $0.keyID, ed25519: Data($0.bytes).base64EncodedString()) }
    }

    func entry(at path: String) throws(LicenseDocumentError) -> LicenseEntry {
        try LicenseDocument.check(path + ".key", key, bytes: 1...128)
        let tenant = tenant ?? License.defaultTenant
        try LicenseDocument.check(path + ".tenant", tenant, bytes: 1...64)
        guard (0...1_000_000).contains(seats) else { throw .invalid(path: path + ".seats", "must be 0...1000000") }
        let overage: Overage
        do {
            overage = try self.overage.map(Overage.init(text:)) ?? .none
        } catch {
            throw .invalid(path: path + ".overage", "\(error)")
        }
        guard let seatCounting = SeatCounting(rawValue: seat_counting ?? SeatCounting.session.rawValue) else {
            throw .invalid(path: path + ".seat_counting", "'\(seat_counting ?? "")' is not a seat counting: expected session, user or host")
        }
        try LicenseDocument.check(path + ".tier", tier ?? "", bytes: 0...64)
        let features = features ?? [:]
        guard features.count <= 64 else { throw .invalid(path: path + ".features", "at most 64 features") }
        for (name, value) in features {
            try LicenseDocument.check(path + ".features.\(name)", name, bytes: 1...64)
            try LicenseDocument.check(path + ".features.\(name)", value, bytes: 0...256)
        }
        if let serial { try LicenseDocument.check(path + ".serial", serial, bytes: 0...64) }
        return LicenseEntry(
            key: key, tenant: tenant, seats: seats, overage: overage, seatCounting: seatCounting, tier: tier ?? "", features: features,
            expiresAt: try Self.time(expires, at: path + ".expires"),
            issuedAt: try Self.time(issued, at: path + ".issued"),
            serial: serial, state: state,
            signature: try signature?.signature(at: path + ".signature")
        )
    }

    private static func time(_ text: String?, at path: String) throws(LicenseDocumentError) -> Timestamp? {
        guard let text else { return nil }
        guard let time = LicenseTime.parse(text) else {
            throw .invalid(path: path, "expected an ISO 8601 time such as 2027-12-31T23:59:59Z")
        }
        return time
    }
}

private struct RawSignature: Codable {
    var key_id: String
    var ed25519: String

    func signature(at path: String) throws(LicenseDocumentError) -> LicenseSignature {
        guard VendorPublicKey.isKeyID(key_id) else {
            throw .invalid(path: path + ".key_id", "must be 16 lowercase hex digits")
        }
        guard let bytes = Data(base64Encoded: ed25519), bytes.count == 64 else {
            throw .invalid(path: path + ".ed25519", "must be the base64 of a 64-byte Ed25519 signature")
        }
        return LicenseSignature(keyID: key_id, bytes: Array(bytes))
    }
}
