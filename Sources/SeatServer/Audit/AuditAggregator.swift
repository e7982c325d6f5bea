import SeatCore

/// Counts the audit kinds any client can cause at will (refused acquires, failed
/// authentications) instead of storing one event each: per window, one event per key
/// with its count and when the first and last were seen. Pure: time is passed in.
///
/// Memory and output are bounded: at most `maximumKeys` distinct keys per kind and window;
/// later new keys are counted in an overflow bucket per kind and reason (identifying
/// fields `*`), so a flood of distinct license names or addresses cannot grow either, and
/// a flood of one kind never pushes the other's keys into overflow.
struct AuditAggregator: Sendable {
    /// What one aggregated event stands for. Fields that do not apply are empty.
    struct Key: Hashable, Sendable {
        var kind: AuditKind
        var tenant = ""
        var licenseKey = ""
        var address = ""
        /// The reason: a refusal's error code, why an authentication failed.
        var detail: String

        /// The bucket of keys beyond the limit: same kind and reason, the rest `*`.
        var overflow: Key {
            Key(kind: kind, tenant: tenant.isEmpty ? "" : "*", licenseKey: licenseKey.isEmpty ? "" : "*",
                address: address.isEmpty ? "" : "*", detail: detail)
        }
    }

    private struct Bucket {
        var count: UInt64
        var firstSeen: Timestamp
        var lastSeen: Timestamp
    }

    let windowMilliseconds: Int64
    let maximumKeys: Int
    /// Start of the window being counted; windows are aligned to multiples of their length.
    private var windowStart: Int64?
    private var buckets: [Key: Bucket] = [:]
    /// Keys first seen, in order, so flushed events come out in a stable order.
    private var order: [Key] = []
    private var distinctKeys: [AuditKind: Int] = [:]

    init(windowMilliseconds: Int64, maximumKeys: Int) {
        self.windowMilliseconds = windowMilliseconds
        self.maximumKeys = maximumKeys
    }

    /// Keys counted in the current window (overflow buckets included).
    var pendingKeys: Int { buckets.count }

    /// Counts one occurrence at `now`. Returns the events of the previous window if this
    /// occurrence is the first past its end.
    mutating func count(_ key: Key, at now: Timestamp) -> [AuditEvent] {
        let ended = flushIfEnded(at: now)
        let start = now.millisecondsSinceEpoch - floorModulo(now.millisecondsSinceEpoch, windowMilliseconds)
        if windowStart == nil { windowStart = start }
        var bucketKey = key
        if buckets[key] == nil {
            if distinctKeys[key.kind, default: 0] < maximumKeys {
                distinctKeys[key.kind, default: 0] += 1
            } else {
                bucketKey = key.overflow
            }
        }
        if var bucket = buckets[bucketKey] {
            bucket.count += 1
            bucket.lastSeen = max(bucket.lastSeen, now)
            buckets[bucketKey] = bucket
        } else {
            buckets[bucketKey] = Bucket(count: 1, firstSeen: now, lastSeen: now)
            order.append(bucketKey)
        }
        return ended
    }

    /// The events of the current window if it has ended by `now` (the sweeper calls this,
    /// so a window is written even when nothing follows it).
    mutating func flushIfEnded(at now: Timestamp) -> [AuditEvent] {
        guard let windowStart, now.millisecondsSinceEpoch >= windowStart + windowMilliseconds else { return [] }
        return flush(at: now)
    }

    /// The events of the current window, ended or not (shutdown). Each is stamped `now`,
    /// the time it is written, so audit keys stay in commit order; `aggregate` holds when
    /// its occurrences happened.
    mutating func flush(at now: Timestamp) -> [AuditEvent] {
        let events = order.map { key in
            let bucket = buckets[key]!
            return AuditEvent(
                time: now, kind: key.kind, tenant: key.tenant, licenseKey: key.licenseKey, address: key.address, detail: key.detail,
                aggregate: AuditAggregate(count: bucket.count, firstSeen: bucket.firstSeen, lastSeen: bucket.lastSeen))
        }
        windowStart = nil
        buckets.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
        distinctKeys.removeAll(keepingCapacity: true)
        return events
    }

    private func floorModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
        let remainder = value % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
