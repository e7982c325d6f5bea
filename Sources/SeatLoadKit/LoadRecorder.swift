import Histogram

/// Latencies (µs, HdrHistogram) and counters of one event loop's clients; merged at the end.
public struct LoadRecorder: Sendable {
    public static let highestMicroseconds: UInt64 = 120_000_000

    public var operations: [Histogram<UInt64>]
    public var transactions: Histogram<UInt64>
    public var transactionCount = 0
    /// Granted acquires that created a session / found the caller's own (idempotent repeat).
    public var created = 0
    public var existing = 0
    /// Error replies per wire code, for each operation.
    public var refusals: [LoadOperation: [UInt16: Int]] = [:]
    /// Transport failures (connection lost, timeouts, undecodable replies) by kind.
    public var errors: [String: Int] = [:]
    public var firstError: String?

    public init() {
        let empty = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: Self.highestMicroseconds, numberOfSignificantValueDigits: .three)
        operations = Array(repeating: empty, count: LoadOperation.allCases.count)
        transactions = empty
    }

    public var operationCount: Int { operations.reduce(0) { $0 + Int($1.totalCount) } }
    public var errorCount: Int { errors.values.reduce(0, +) }

    public mutating func recordOperation(_ operation: LoadOperation, microseconds: UInt64) {
        _ = operations[operation.rawValue].record(min(max(microseconds, 1), Self.highestMicroseconds))
    }

    public mutating func recordTransaction(microseconds: UInt64) {
        transactionCount += 1
        _ = transactions.record(min(max(microseconds, 1), Self.highestMicroseconds))
    }

    public mutating func recordReply(_ reply: LoadReply, to operation: LoadOperation) {
        switch reply {
        case .granted(_, let reattached):
            if reattached { existing += 1 } else { created += 1 }
        case .ok:
            break
        case .refused(let code):
            refusals[operation, default: [:]][code, default: 0] += 1
        }
    }

    public mutating func recordError(_ kind: String, detail: String) {
        errors[kind, default: 0] += 1
        if firstError == nil { firstError = "\(kind): \(detail)" }
    }

    public mutating func merge(_ other: LoadRecorder) {
        for index in operations.indices { operations[index].add(other.operations[index]) }
        transactions.add(other.transactions)
        transactionCount += other.transactionCount
        created += other.created
        existing += other.existing
        for (operation, codes) in other.refusals {
            for (code, count) in codes { refusals[operation, default: [:]][code, default: 0] += count }
        }
        for (kind, count) in other.errors { errors[kind, default: 0] += count }
        if firstError == nil { firstError = other.firstError }
    }
}
