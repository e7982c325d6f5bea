import SeatCore

/// The usage rollup: kept by the writer with every grant, end and refusal count
/// (`StorageWriter+Usage`), read here for reports, trimmed by retention.
extension SeatStore {
    /// Every stored hour from `firstHour` through `lastHour`, of every license, in hour
    /// order; one read transaction.
    public func usageHours(from firstHour: Int64, through lastHour: Int64) throws(StorageError) -> [UsageHour] {
        try environment.read { txn throws(StorageError) in
            var hours: [UsageHour] = []
            try RecordCodec.usageHourKey(hour: firstHour, licenseKey: "").withBytes { start throws(StorageError) in
                try txn.scan(databases.usageHours, from: start) { key, value throws(StorageError) in
                    let (hour, licenseKey) = try RecordCodec.decodeUsageHourKey(key)
                    guard hour <= lastHour else { return false }
                    hours.append(try RecordCodec.decodeUsageHour(hour: hour, licenseKey: licenseKey, value))
                    return true
                }
            }
            return hours
        }
    }

    /// Deletes at most `limit` hours before `hour`, oldest first, in one write
    /// transaction; call again while it returns `limit`. Returns how many it deleted.
    public func purgeUsageHours(before hour: Int64, limit: Int) async throws(StorageError) -> Int {
        try await writer.purgeUsageHours(before: hour, limit: limit).get()
    }
}
