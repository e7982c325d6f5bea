import NIOCore
import SeatCore

/// Writers for the protocol's primitive types, the inverse of the readers in
/// `WireReading.swift`. They never fail: values beyond a field's maximum are cut to fit
/// (see ``WireLimits``), so every frame written is one the peer can parse.
extension ByteBuffer {
    /// A `u16` length and the UTF-8 bytes, truncated at a Unicode scalar boundary to
    /// `limit.upperBound` bytes.
    mutating func writeWireString(_ string: String, limit: ClosedRange<Int>) {
        let utf8 = string.utf8
        let maximum = limit.upperBound
        guard utf8.count > maximum else {
            writeInteger(UInt16(truncatingIfNeeded: utf8.count))
            writeString(string)
            return
        }
        var end = utf8.index(utf8.startIndex, offsetBy: maximum)
        while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) {
            utf8.formIndex(before: &end)
        }
        let prefix = utf8[..<end]
        writeInteger(UInt16(truncatingIfNeeded: prefix.count))
        writeBytes(prefix)
    }

    /// A `u32` length and the UTF-8 bytes (admin JSON; the frame size is its real bound).
    mutating func writeWireLongString(_ string: String) {
        writeInteger(UInt32(truncatingIfNeeded: string.utf8.count))
        writeString(string)
    }

    mutating func writeWireBool(_ value: Bool) {
        writeInteger(value ? 1 : 0, as: UInt8.self)
    }

    /// Milliseconds since the epoch; times before the epoch are written as 0.
    mutating func writeWireTimestamp(_ timestamp: Timestamp) {
        writeInteger(UInt64(clamping: timestamp.millisecondsSinceEpoch))
    }

    /// `nil` is written as 0.
    mutating func writeWireOptionalTimestamp(_ timestamp: Timestamp?) {
        writeInteger(UInt64(clamping: timestamp?.millisecondsSinceEpoch ?? 0))
    }

    mutating func writeWireToken(_ token: SessionToken) {
        writeMultipleIntegers(token.high, token.low, endianness: .big)
    }

    /// Entries in ascending byte order of their keys, so equal maps encode identically.
    /// Entries whose key is out of ``WireLimits/featureKey`` are left out, values are
    /// truncated, and at most ``WireLimits/featureCount`` entries are written.
    mutating func writeWireFeatures(_ features: [String: String]) {
        let countIndex = writerIndex
        writeInteger(UInt16(0))
        guard !features.isEmpty else { return }
        let maximumCount = UInt16(WireLimits.featureCount.upperBound)
        var written: UInt16 = 0
        for (key, value) in features.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
        where WireLimits.featureKey.contains(key.utf8.count) {
            guard written < maximumCount else { break }
            writeWireString(key, limit: WireLimits.featureKey)
            writeWireString(value, limit: WireLimits.featureValue)
            written += 1
        }
        setInteger(written, at: countIndex)
    }
}
