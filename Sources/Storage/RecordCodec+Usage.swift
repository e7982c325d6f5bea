import SeatCore

/// The usage rollup's keys and records (`StorageDatabases.usageHours`, `usageTallies`).
extension RecordCodec {
    /// `usage_hours` key: the hour (sign bit flipped, big-endian, so keys sort by hour as
    /// unsigned bytes), then the license key. Hour first: reports read a range of hours
    /// and retention deletes the oldest, each one cursor walk.
    static func usageHourKey(hour: Int64, licenseKey: String) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(8 + licenseKey.utf8.count)
        withUnsafeBytes(of: (UInt64(bitPattern: hour) ^ (1 << 63)).bigEndian) { key.append(contentsOf: $0) }
        key.append(contentsOf: licenseKey.utf8)
        return key
    }

    static func decodeUsageHourKey(_ key: UnsafeRawBufferPointer) throws(StorageError) -> (hour: Int64, licenseKey: String) {
        guard key.count > 8 else { throw .corrupt("usage hour key has \(key.count) bytes, expected more than 8") }
        let hour = Int64(bitPattern: UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) ^ (1 << 63))
        guard let licenseKey = String(validating: key[8...], as: UTF8.self) else { throw .corrupt("usage hour key: invalid UTF-8") }
        return (hour, licenseKey)
    }

    /// Layout: version, tenant, peak flag (+ peak), then the ended sessions' time per user
    /// and the denials per reason, each as a count and (string, Int64) pairs.
    static func encode(_ hour: UsageHour) -> [UInt8] {
        var writer = RecordWriter(capacity: 32 + hour.tenant.utf8.count + 24 * (hour.endedMilliseconds.count + hour.denials.count))
        writer.append(recordVersion)
        writer.append(hour.tenant)
        if let peak = hour.eventPeak {
            writer.append(UInt8(1))
            writer.append(Int64(peak))
        } else {
            writer.append(UInt8(0))
        }
        writer.appendLength(hour.endedMilliseconds.count)
        for (user, milliseconds) in hour.endedMilliseconds.sorted(by: { $0.key < $1.key }) {
            writer.append(user)
            writer.append(milliseconds)
        }
        writer.appendLength(hour.denials.count)
        for (reason, count) in hour.denials.sorted(by: { $0.key < $1.key }) {
            writer.append(reason)
            writer.append(Int64(clamping: count))
        }
        return writer.bytes
    }

    static func decodeUsageHour(hour: Int64, licenseKey: String, _ bytes: UnsafeRawBufferPointer) throws(StorageError) -> UsageHour {
        var reader = RecordReader(bytes, record: "usage hour")
        try reader.expectVersion(recordVersion)
        var usage = UsageHour(hour: hour, licenseKey: licenseKey, tenant: try reader.string())
        switch try reader.uint8() {
        case 0: break
        case 1: usage.eventPeak = Int(try reader.int64())
        case let flag: throw reader.corrupt("bad peak flag \(flag)")
        }
        for _ in 0..<(try reader.length()) {
            usage.endedMilliseconds[try reader.string()] = try reader.int64()
        }
        for _ in 0..<(try reader.length()) {
            usage.denials[try reader.string()] = UInt64(clamping: try reader.int64())
        }
        try reader.expectEnd()
        return usage
    }

    /// `usage_tallies`: a license's tenant and seats in use, kept by the writer with the
    /// sessions so each event knows the seats in use before it.
    static func encodeUsageTally(tenant: String, inUse: Int) -> [UInt8] {
        var writer = RecordWriter(capacity: 10 + tenant.utf8.count)
        writer.append(recordVersion)
        writer.append(tenant)
        writer.append(Int64(inUse))
        return writer.bytes
    }

    static func decodeUsageTally(_ bytes: UnsafeRawBufferPointer) throws(StorageError) -> (tenant: String, inUse: Int) {
        var reader = RecordReader(bytes, record: "usage tally")
        try reader.expectVersion(recordVersion)
        let tenant = try reader.string()
        let inUse = Int(try reader.int64())
        try reader.expectEnd()
        return (tenant, inUse)
    }

    /// In `meta`: present once the tallies have been counted from the live sessions (the
    /// first open of a store written before the rollup existed counts them).
    static let usageTalliesBuiltKey = Array("usage_tallies_built".utf8)
}
