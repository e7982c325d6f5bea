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

    /// `usage_users` key: the hour (as in `usageHourKey`), the license key's length (one
    /// byte) and the license key, then the user. The wire limits (license keys 128 bytes,
    /// users 256) keep it within LMDB's 511.
    static func usageUserKey(hour: Int64, licenseKey: String, user: String) -> [UInt8] {
        var key = usageHourKey(hour: hour, licenseKey: "")
        key.reserveCapacity(9 + licenseKey.utf8.count + user.utf8.count)
        key.append(UInt8(truncatingIfNeeded: licenseKey.utf8.count))
        key.append(contentsOf: licenseKey.utf8)
        key.append(contentsOf: user.utf8)
        return key
    }

    static func decodeUsageUserKey(_ key: UnsafeRawBufferPointer) throws(StorageError) -> (hour: Int64, licenseKey: String, user: String) {
        guard key.count > 9, key.count >= 9 + Int(key[8]) else { throw .corrupt("usage user key of \(key.count) bytes is truncated") }
        let hour = Int64(bitPattern: UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) ^ (1 << 63))
        let licenseEnd = 9 + Int(key[8])
        guard let licenseKey = String(validating: key[9..<licenseEnd], as: UTF8.self), let user = String(validating: key[licenseEnd...], as: UTF8.self) else {
            throw .corrupt("usage user key: invalid UTF-8")
        }
        return (hour, licenseKey, user)
    }

    /// Layout: version, tenant, peak flag (+ peak), then the denials as a count and
    /// (reason, Int64) pairs. The users' time is in `usage_users`, one record each.
    static func encode(_ hour: UsageHour) -> [UInt8] {
        var writer = RecordWriter(capacity: 32 + hour.tenant.utf8.count + 24 * hour.denials.count)
        writer.append(recordVersion)
        writer.append(hour.tenant)
        if let peak = hour.eventPeak {
            writer.append(UInt8(1))
            writer.append(Int64(peak))
        } else {
            writer.append(UInt8(0))
        }
        writer.appendLength(hour.denials.count)
        for (reason, count) in hour.denials.sorted(by: { $0.key < $1.key }) {
            writer.append(reason)
            writer.append(Int64(clamping: count))
        }
        return writer.bytes
    }

    /// An hour record, without its users' time.
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
            usage.denials[try reader.string()] = UInt64(clamping: try reader.int64())
        }
        try reader.expectEnd()
        return usage
    }

    /// `usage_users` and `usage_tallies` records: a tenant and a number (a user's time in
    /// milliseconds; a license's seats in use).
    static func encodeUsageCount(tenant: String, _ count: Int64) -> [UInt8] {
        var writer = RecordWriter(capacity: 10 + tenant.utf8.count)
        writer.append(recordVersion)
        writer.append(tenant)
        writer.append(count)
        return writer.bytes
    }

    static func decodeUsageCount(_ bytes: UnsafeRawBufferPointer) throws(StorageError) -> (tenant: String, count: Int64) {
        var reader = RecordReader(bytes, record: "usage count")
        try reader.expectVersion(recordVersion)
        let tenant = try reader.string()
        let count = try reader.int64()
        try reader.expectEnd()
        return (tenant, count)
    }

    /// In `meta`: present once the tallies have been counted from the live sessions (the
    /// first open of a store written before the rollup existed counts them).
    static let usageTalliesBuiltKey = Array("usage_tallies_built".utf8)
}
