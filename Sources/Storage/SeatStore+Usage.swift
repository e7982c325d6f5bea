import SeatCore

/// The usage rollup: kept by the writer with every grant, end and refusal count
/// (`StorageWriter+Usage`), read here for reports, trimmed by retention.
extension SeatStore {
    /// What a report reads, from one snapshot: every stored hour from `firstHour` through
    /// `lastHour` of every license (in no particular order), and the sessions open in the same
    /// snapshot (whose time so far is in no hour yet), so none is counted twice or missed.
    public func usage(from firstHour: Int64, through lastHour: Int64) throws(StorageError) -> (hours: [UsageHour], open: [OpenSession]) {
        try environment.read { txn throws(StorageError) in
            var hours: [UsageHour] = []
            var index: [String: [Int64: Int]] = [:]
            try RecordCodec.usageHourKey(hour: firstHour, licenseKey: "").withBytes { start throws(StorageError) in
                try txn.scan(databases.usageHours, from: start) { key, value throws(StorageError) in
                    let (hour, licenseKey) = try RecordCodec.decodeUsageHourKey(key)
                    guard hour <= lastHour else { return false }
                    index[licenseKey, default: [:]][hour] = hours.count
                    hours.append(try RecordCodec.decodeUsageHour(hour: hour, licenseKey: licenseKey, value))
                    return true
                }
                // Users' time joins its hour; an hour an ended session only spanned has no
                // hour record.
                try txn.scan(databases.usageUsers, from: start) { key, value throws(StorageError) in
                    let (hour, licenseKey, user) = try RecordCodec.decodeUsageUserKey(key)
                    guard hour <= lastHour else { return false }
                    let (tenant, milliseconds) = try RecordCodec.decodeUsageCount(value)
                    if index[licenseKey]?[hour] == nil {
                        index[licenseKey, default: [:]][hour] = hours.count
                        hours.append(UsageHour(hour: hour, licenseKey: licenseKey, tenant: tenant))
                    }
                    hours[index[licenseKey]![hour]!].endedMilliseconds[user] = milliseconds
                    return true
                }
            }
            var tenants: [String: String] = [:]
            var open: [OpenSession] = []
            try txn.forEach(databases.sessions) { key, value throws(StorageError) in
                let session = try RecordCodec.decodeSession(token: try RecordCodec.decodeToken(key), value)
                if tenants[session.licenseKey] == nil {
                    tenants[session.licenseKey] = try session.licenseKey.withUTF8Bytes { licenseKey throws(StorageError) in
                        try txn.get(databases.usageTallies, licenseKey, RecordCodec.decodeUsageCount)?.tenant
                    } ?? License.defaultTenant
                }
                open.append(OpenSession(licenseKey: session.licenseKey, tenant: tenants[session.licenseKey]!, user: session.user, startedAt: session.createdAt))
            }
            return (hours, open)
        }
    }

    /// Deletes at most `limit` hours before `hour`, oldest first, in one write
    /// transaction; call again while it returns `limit`. Returns how many it deleted.
    public func purgeUsageHours(before hour: Int64, limit: Int) async throws(StorageError) -> Int {
        try await writer.purgeUsageHours(before: hour, limit: limit).get()
    }
}
