import Histogram

/// Percentiles of one histogram, in milliseconds.
public struct LatencySummary: Sendable, Equatable, Codable {
    public var count: UInt64
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double

    public init(_ histogram: Histogram<UInt64>) {
        count = histogram.totalCount
        func ms(_ us: UInt64) -> Double { (Double(us) / 1000 * 1000).rounded() / 1000 }
        if count == 0 {
            mean = 0; p50 = 0; p90 = 0; p99 = 0; p999 = 0; max = 0
        } else {
            mean = (histogram.mean / 1000 * 1000).rounded() / 1000
            p50 = ms(histogram.valueAtPercentile(50))
            p90 = ms(histogram.valueAtPercentile(90))
            p99 = ms(histogram.valueAtPercentile(99))
            p999 = ms(histogram.valueAtPercentile(99.9))
            max = ms(histogram.max)
        }
    }
}

/// The end-of-run report: a table for people and a JSON record in the shape of the peers'
/// `seatbench_redis` / `pgbench_summary.py` output (so `tools/annotate.py` can extend it).
public struct LoadReport: Sendable {
    public var scenario: Scenario
    public var clients: Int
    public var run: Int
    public var durationSeconds: Int
    public var elapsedSeconds: Double
    public var connectSeconds: Double
    public var targetRate: Double?
    public var recorder: LoadRecorder

    public init(scenario: Scenario, clients: Int, run: Int, durationSeconds: Int, elapsedSeconds: Double, connectSeconds: Double, targetRate: Double?, recorder: LoadRecorder) {
        self.scenario = scenario
        self.clients = clients
        self.run = run
        self.durationSeconds = durationSeconds
        self.elapsedSeconds = elapsedSeconds
        self.connectSeconds = connectSeconds
        self.targetRate = targetRate
        self.recorder = recorder
    }

    public var operationsPerSecond: Double { elapsedSeconds > 0 ? Double(recorder.operationCount) / elapsedSeconds : 0 }
    public var transactionsPerSecond: Double { elapsedSeconds > 0 ? Double(recorder.transactionCount) / elapsedSeconds : 0 }

    public func summary(_ operation: LoadOperation) -> LatencySummary { LatencySummary(recorder.operations[operation.rawValue]) }

    /// Error replies by reason name (e.g. "acquire.noSeats": 1234).
    public var refusalsByReason: [String: Int] {
        var out: [String: Int] = [:]
        for (operation, codes) in recorder.refusals {
            for (code, count) in codes { out["\(operation.name).\(Self.codeName(code))"] = count }
        }
        return out
    }

    static func codeName(_ code: UInt16) -> String {
        let names: [UInt16: String] = [
            1: "malformedMessage", 2: "invalidUTF8", 3: "invalidField", 4: "unknownMessageType", 5: "unsupportedVersion",
            6: "helloRequired", 7: "frameTooLarge", 8: "unexpectedMessage", 9: "idleTimeout",
            100: "unknownLicense", 101: "licenseExpired", 102: "licenseSuspended", 103: "licenseRevoked", 104: "noSeats", 105: "policyDenied",
            110: "unknownSession", 111: "sessionExpired", 112: "sessionReleased", 113: "sessionRevoked",
            200: "storageFull", 201: "storageFailure", 202: "shuttingDown", 203: "internalError",
        ]
        return names[code] ?? "code\(code)"
    }

    /// Failed operations in the peers' sense: transport errors plus error replies other than
    /// the workload's expected refusals: noSeats on acquire, and "session no longer live"
    /// (110...113) on a heartbeat or release, which happens when two clients drew the same
    /// (license, user, hardware), shared the session idempotently, and one released it.
    public var failedCount: Int {
        var failed = recorder.errorCount
        for (operation, codes) in recorder.refusals {
            for (code, count) in codes where !Self.isExpected(code, operation) {
                failed += count
            }
        }
        return failed
    }

    static func isExpected(_ code: UInt16, _ operation: LoadOperation) -> Bool {
        switch operation {
        case .acquire, .reacquire: code == 104
        case .heartbeat, .release: (110...113).contains(code)
        }
    }

    public var heartbeatNotLive: Int {
        recorder.refusals[.heartbeat]?.values.reduce(0, +) ?? 0
    }

    public func jsonRecord() -> String {
        let txn = LatencySummary(recorder.transactions)
        let present = LoadOperation.allCases.filter { recorder.operations[$0.rawValue].totalCount > 0 }
        let acquireRefused = (recorder.refusals[.acquire]?.values.reduce(0, +) ?? 0) + (recorder.refusals[.reacquire]?.values.reduce(0, +) ?? 0)
        var fields: [String] = [
            "\"peer\": \"seatd\"", "\"mix\": \"\(scenario.rawValue)\"", "\"clients\": \(clients)", "\"run\": \(run)",
            "\"duration_s\": \(durationSeconds)", "\"elapsed_s\": \(fmt(elapsedSeconds, 3))",
            "\"txns\": \(recorder.transactionCount)", "\"failed\": \(failedCount)",
            "\"tps\": \(fmt(transactionsPerSecond, 3))", "\"lat_avg_ms\": \(fmt(txn.mean, 3))",
            "\"p50_ms\": \(fmt(txn.p50, 3))", "\"p99_ms\": \(fmt(txn.p99, 3))", "\"p999_ms\": \(fmt(txn.p999, 3))",
            "\"op_mean_ms\": {" + present.map { "\"\($0.name)\": \(fmt(summary($0).mean, 3))" }.joined(separator: ", ") + "}",
            "\"op_p99_ms\": {" + present.map { "\"\($0.name)\": \(fmt(summary($0).p99, 3))" }.joined(separator: ", ") + "}",
            "\"op_percentiles_ms\": {" + present.map { op in
                let s = summary(op)
                return "\"\(op.name)\": {\"count\": \(s.count), \"p50\": \(fmt(s.p50, 3)), \"p90\": \(fmt(s.p90, 3)), \"p99\": \(fmt(s.p99, 3)), \"p999\": \(fmt(s.p999, 3)), \"max\": \(fmt(s.max, 3))}"
            }.joined(separator: ", ") + "}",
            "\"op_counts\": {\"acquire_calls\": \(recorder.operations[0].totalCount + recorder.operations[1].totalCount), "
                + "\"heartbeat\": \(recorder.operations[2].totalCount), \"release\": \(recorder.operations[3].totalCount), "
                + "\"created\": \(recorder.created), \"existing\": \(recorder.existing), \"refused\": \(acquireRefused), "
                + "\"heartbeat_not_live\": \(heartbeatNotLive)}",
            "\"ops_per_txn\": \(fmt(recorder.transactionCount > 0 ? Double(recorder.operationCount) / Double(recorder.transactionCount) : 0, 3))",
            "\"ops_per_s\": \(fmt(operationsPerSecond, 1))",
            "\"refusals\": {" + refusalsByReason.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}",
            "\"errors\": {" + recorder.errors.sorted { $0.key < $1.key }.map { "\"\(escape($0.key))\": \($0.value)" }.joined(separator: ", ") + "}",
            "\"connect_s\": \(fmt(connectSeconds, 3))",
        ]
        if let targetRate { fields.append("\"target_ops_per_s\": \(fmt(targetRate, 1))") }
        if let first = recorder.firstError { fields.append("\"first_error\": \"\(escape(first))\"") }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    public func table() -> String {
        var lines: [String] = []
        lines.append("seatload \(scenario.rawValue): \(clients) clients, \(fmt(elapsedSeconds, 1)) s measured (connect \(fmt(connectSeconds, 1)) s)")
        lines.append("throughput: \(fmt(operationsPerSecond, 0)) ops/s, \(fmt(transactionsPerSecond, 0)) txn/s; failed \(failedCount), transport errors \(recorder.errorCount)")
        lines.append(pad("operation", 10) + pad("count", 10, right: true) + pad("mean", 9, right: true) + pad("p50", 9, right: true)
            + pad("p90", 9, right: true) + pad("p99", 9, right: true) + pad("p99.9", 9, right: true) + pad("max", 9, right: true) + "  (ms)")
        var rows = LoadOperation.allCases.map { ($0.name, summary($0)) }
        rows.append(("txn", LatencySummary(recorder.transactions)))
        for (name, s) in rows where s.count > 0 {
            lines.append(pad(name, 10) + pad("\(s.count)", 10, right: true) + pad(fmt(s.mean, 3), 9, right: true) + pad(fmt(s.p50, 3), 9, right: true)
                + pad(fmt(s.p90, 3), 9, right: true) + pad(fmt(s.p99, 3), 9, right: true) + pad(fmt(s.p999, 3), 9, right: true) + pad(fmt(s.max, 3), 9, right: true))
        }
        lines.append("granted: created \(recorder.created), existing \(recorder.existing)")
        let refusals = refusalsByReason.sorted { $0.key < $1.key }
        lines.append("refusals: " + (refusals.isEmpty ? "none" : refusals.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
        let errors = recorder.errors.sorted { $0.key < $1.key }
        lines.append("errors: " + (errors.isEmpty ? "none" : errors.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
        if let first = recorder.firstError { lines.append("first error: \(first)") }
        return lines.joined(separator: "\n")
    }
}

func fmt(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if digits == 0 { return String(Int64(rounded)) }
    var text = String(rounded)
    if text.contains("e") { return String(Int64(rounded)) }
    let decimals = text.split(separator: ".", omittingEmptySubsequences: false).last?.count ?? 0
    if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    return text
}

private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}

private func escape(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default: out += scalar.value < 32 ? " " : String(scalar)
        }
    }
    return out
}
