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
/// `state` and the signature itself are not signed. The domain prefix keeps a signature
/// from being valid for any other message the same key might ever sign.
public enum CanonicalLicenseBytes {
    public static let domain: [UInt8] = Array("seatd-license-v1".utf8) + [0]

    /// `entry` must be within `LicenseDocument`'s limits (so every length fits its field).
    public static func encode(_ entry: LicenseEntry) -> [UInt8] {
        var bytes = domain
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
        return bytes
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
