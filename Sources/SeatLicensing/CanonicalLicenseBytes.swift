import SeatCore

/// The bytes a vendor signs for one license: a deterministic binary encoding of every
/// signed field, so that editing any of them in the JSON (or reformatting the JSON, which
/// must not matter) is judged by value, not by text.
///
/// Layout (docs/license-files.md shows it byte by byte); integers are big-endian, a
/// *string* is a UInt16 byte count followed by that many bytes of UTF-8:
///
/// | field    | encoding |
/// |----------|----------|
/// | domain   | the 17 bytes `seatd-license-v1` and a zero byte |
/// | key      | string |
/// | tenant   | string |
/// | seats    | UInt32 |
/// | tier     | string |
/// | features | UInt16 count, then name string and value string per feature, sorted by the name's UTF-8 bytes |
/// | expires  | UInt8 0 (never), or UInt8 1 and Int64 milliseconds since the Unix epoch |
/// | issued   | UInt8 0 (absent), or UInt8 1 and Int64 milliseconds since the Unix epoch |
/// | serial   | string (empty when absent) |
///
/// That is layout 1. Layout 2 (domain `seatd-license-v2`) adds *terms*, the signed fields
/// added since: the same fields, then a UInt8 count of terms and each term as a UInt8 tag
/// and its value, in ascending tag order. A term at its default is left out, and an entry
/// with no terms is encoded in layout 1, so every license signed before terms existed
/// keeps its bytes and its signature.
///
/// | tag | term    | value |
/// |-----|---------|-------|
/// | 1   | overage | UInt8 1 and UInt32 extra seats (`+N`), or UInt8 2 and UInt32 the factor in thousandths (`1.25x`: 1250) |
/// | 2   | seat_counting | UInt8 1 `user`, 2 `host` (`session` is the default) |
///
/// `state` and the signature itself are not signed. The domain prefix keeps a signature
/// from being valid for any other message the same key might ever sign, and a layout-1
/// signature from being valid for the layout-2 bytes of the same fields.
public enum CanonicalLicenseBytes {
    public static let domain: [UInt8] = Array("seatd-license-v1".utf8) + [0]
    public static let termsDomain: [UInt8] = Array("seatd-license-v2".utf8) + [0]

    enum TermTag: UInt8 {
        case overage = 1
        case seatCounting = 2
    }

    /// `entry` must be within `LicenseDocument`'s limits (so every length fits its field).
    public static func encode(_ entry: LicenseEntry) -> [UInt8] {
        let terms = self.terms(of: entry)
        var bytes = terms.isEmpty ? domain : termsDomain
        append(entry.key, to: &bytes)
        append(entry.tenant, to: &bytes)
        append(UInt32(clamping: entry.seats), to: &bytes)
        append(entry.tier, to: &bytes)
        let features = entry.features.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        append(UInt16(clamping: features.count), to: &bytes)
        for (name, value) in features {
            append(name, to: &bytes)
            append(value, to: &bytes)
        }
        append(entry.expiresAt, to: &bytes)
        append(entry.issuedAt, to: &bytes)
        append(entry.serial ?? "", to: &bytes)
        guard !terms.isEmpty else { return bytes }
        bytes.append(UInt8(terms.count))
        for (tag, value) in terms {
            bytes.append(tag.rawValue)
            bytes += value
        }
        return bytes
    }

    /// The entry's terms that are not at their default, in tag order, each with its value's bytes.
    private static func terms(of entry: LicenseEntry) -> [(TermTag, [UInt8])] {
        var terms: [(TermTag, [UInt8])] = []
        if let overage = overageValue(entry.overage) { terms.append((.overage, overage)) }
        switch entry.seatCounting {
        case .session: break
        case .user: terms.append((.seatCounting, [1]))
        case .host: terms.append((.seatCounting, [2]))
        }
        return terms
    }

    private static func overageValue(_ overage: Overage) -> [UInt8]? {
        let (kind, number): (UInt8, Int)
        switch overage {
        case .none: return nil
        case .seats(let count): (kind, number) = (1, count)
        case .factor(let thousandths): (kind, number) = (2, thousandths)
        }
        var value = [kind]
        append(UInt32(clamping: number), to: &value)
        return value
    }

    static func append(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        append(UInt16(clamping: utf8.count), to: &bytes)
        bytes += utf8
    }

    static func append(_ time: Timestamp?, to bytes: inout [UInt8]) {
        guard let time else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        append(UInt64(bitPattern: time.millisecondsSinceEpoch), to: &bytes)
    }

    static func append<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}
