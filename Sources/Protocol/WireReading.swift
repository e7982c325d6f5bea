import NIOCore
import SeatCore

/// Readers for the protocol's primitive types. Each consumes its field or throws; failures
/// carry no request id (the frame decoder adds it).
extension ByteBuffer {
    mutating func readWireInteger<Integer: FixedWidthInteger>(
        _ field: String,
        as: Integer.Type = Integer.self
    ) throws(WireError) -> Integer {
        guard let value = readInteger(endianness: .big, as: Integer.self) else { throw .truncated(field) }
        return value
    }

    /// A `u16` length and that many bytes of UTF-8, within `limit`.
    mutating func readWireString(_ field: String, limit: ClosedRange<Int>) throws(WireError) -> String {
        try readWireUTF8(field, length: Int(try readWireInteger(field, as: UInt16.self)), limit: limit)
    }

    /// A `u32` length and that many bytes of UTF-8, within `limit` (admin JSON).
    mutating func readWireLongString(_ field: String, limit: ClosedRange<Int>) throws(WireError) -> String {
        try readWireUTF8(field, length: Int(try readWireInteger(field, as: UInt32.self)), limit: limit)
    }

    private mutating func readWireUTF8(_ field: String, length: Int, limit: ClosedRange<Int>) throws(WireError) -> String {
        guard limit.contains(length) else {
            throw .invalidField(field, "is \(length) bytes; allowed \(limit.lowerBound)...\(limit.upperBound)")
        }
        let string: String?
        do {
            string = try readUTF8ValidatedString(length: length)
        } catch {
            throw WireError(code: .invalidUTF8, reason: "\(field) is not valid UTF-8")
        }
        guard let string else { throw .truncated(field) }
        return string
    }

    /// A `u8` that must be 0 or 1.
    mutating func readWireBool(_ field: String) throws(WireError) -> Bool {
        switch try readWireInteger(field, as: UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw WireError(code: .malformedMessage, reason: "\(field) is \(other); a bool is 0 or 1")
        }
    }

    /// A `u64` of milliseconds since the Unix epoch.
    mutating func readWireTimestamp(_ field: String) throws(WireError) -> Timestamp {
        let raw = try readWireInteger(field, as: UInt64.self)
        guard let milliseconds = Int64(exactly: raw) else {
            throw .invalidField(field, "is \(raw); a timestamp is at most \(Int64.max)")
        }
        return Timestamp(millisecondsSinceEpoch: milliseconds)
    }

    /// A timestamp where 0 means none.
    mutating func readWireOptionalTimestamp(_ field: String) throws(WireError) -> Timestamp? {
        let timestamp = try readWireTimestamp(field)
        return timestamp.millisecondsSinceEpoch == 0 ? nil : timestamp
    }

    /// 16 raw bytes.
    mutating func readWireToken(_ field: String) throws(WireError) -> SessionToken {
        guard let (high, low) = readMultipleIntegers(endianness: .big, as: (UInt64, UInt64).self) else {
            throw .truncated(field)
        }
        return SessionToken(high: high, low: low)
    }

    /// A `u16` count and that many (key, value) string pairs; keys must be distinct.
    mutating func readWireFeatures(_ field: String) throws(WireError) -> [String: String] {
        let count = Int(try readWireInteger(field, as: UInt16.self))
        guard WireLimits.featureCount.contains(count) else {
            throw .invalidField(field, "has \(count) entries; at most \(WireLimits.featureCount.upperBound)")
        }
        var features = [String: String](minimumCapacity: count)
        for _ in 0..<count {
            let key = try readWireString("feature key", limit: WireLimits.featureKey)
            let value = try readWireString("feature value", limit: WireLimits.featureValue)
            guard features.updateValue(value, forKey: key) == nil else {
                throw WireError(code: .malformedMessage, reason: "duplicate feature key \"\(key)\"")
            }
        }
        return features
    }

    /// Throws unless every byte of the message has been read.
    func expectEndOfMessage() throws(WireError) {
        guard readableBytes == 0 else {
            throw WireError(code: .malformedMessage, reason: "\(readableBytes) trailing bytes after the last field")
        }
    }
}
