/// Counts failed authentications per source address and refuses an address that failed
/// `limit` times within `window` until that window has passed. Pure: time is passed in.
/// Memory is bounded: at most `capacity` addresses are tracked; when full, entries whose
/// window has passed are dropped first, then the oldest.
struct AuthenticationThrottle: Sendable {
    private struct Record {
        var windowStart: Int64
        var failures: Int
    }

    let limit: Int
    let windowMilliseconds: Int64
    let capacity: Int
    private var records: [String: Record] = [:]

    init(limit: Int, windowMilliseconds: Int64, capacity: Int = 10_000) {
        self.limit = limit
        self.windowMilliseconds = windowMilliseconds
        self.capacity = capacity
    }

    var trackedAddresses: Int { records.count }

    /// `nil` when `address` may try now; otherwise how long until it may.
    func retryAfter(address: String, now: Int64) -> Int64? {
        guard let record = records[address], record.failures >= limit else { return nil }
        let end = record.windowStart + windowMilliseconds
        return end > now ? end - now : nil
    }

    /// Counts a failed attempt from `address`.
    mutating func recordFailure(address: String, now: Int64) {
        if var record = records[address], now - record.windowStart < windowMilliseconds {
            record.failures += 1
            records[address] = record
            return
        }
        if records[address] == nil, records.count >= capacity { makeRoom(now: now) }
        records[address] = Record(windowStart: now, failures: 1)
    }

    private mutating func makeRoom(now: Int64) {
        records = records.filter { now - $0.value.windowStart < windowMilliseconds }
        if records.count >= capacity, let oldest = records.min(by: { $0.value.windowStart < $1.value.windowStart }) {
            records[oldest.key] = nil
        }
    }
}
