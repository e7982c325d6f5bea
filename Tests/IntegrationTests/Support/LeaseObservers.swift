import Foundation
import SeatClient
import SeatCore
import SeatProtocol
import Synchronization
import Testing

/// Records every state a lease reports, for tests to wait on and inspect.
final class StateRecorder: Sendable {
    private final class Record: Sendable {
        let states = Mutex<[LeaseState]>([])
        let ended = Mutex(false)
    }

    private let record = Record()
    private let task: Task<Void, Never>

    init(_ lease: SeatLease) {
        let states = lease.states
        let record = record
        task = Task {
            for await state in states { record.states.withLock { $0.append(state) } }
            record.ended.withLock { $0 = true }
        }
    }

    deinit { task.cancel() }

    var states: [LeaseState] { record.states.withLock { $0 } }
    /// Whether the stream of states has ended (after a final state).
    var streamEnded: Bool { record.ended.withLock { $0 } }

    /// Waits until a state matching `predicate` was recorded after the first `skipping`
    /// states, and returns it.
    @discardableResult
    func waitFor(
        after skipping: Int = 0,
        timeout: Duration = .seconds(30),
        _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ predicate: (LeaseState) -> Bool
    ) async throws -> LeaseState {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = states.dropFirst(skipping).first(where: predicate) { return match }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no \(what) within \(timeout); states: \(states)", sourceLocation: sourceLocation)
        throw StateTimeout()
    }
}

struct StateTimeout: Error {}

/// Polls a license's seat count on its own connection (not through the proxy) and keeps the
/// highest count seen, to catch a seat counted twice even for a moment.
final class SeatCountMonitor: Sendable {
    private final class Counts: Sendable {
        let highest = Mutex<UInt32>(0)
        let latest = Mutex<UInt32?>(nil)
    }

    private let counts = Counts()
    private let task: Task<Void, Never>

    init(licenseKey: String, configuration: SeatClientConfiguration) {
        let counts = counts
        task = Task {
            var connection: SeatConnection?
            while !Task.isCancelled {
                if connection == nil { connection = try? await SeatConnection.connect(configuration) }
                if let current = connection {
                    if let count = try? await current.validate(licenseKey: licenseKey).seatsInUse {
                        counts.highest.withLock { $0 = max($0, count) }
                        counts.latest.withLock { $0 = count }
                    } else {
                        await current.close()
                        connection = nil
                    }
                }
                try? await Task.sleep(for: .milliseconds(25))
            }
            await connection?.close()
        }
    }

    deinit { task.cancel() }

    var highestSeen: UInt32 { counts.highest.withLock { $0 } }
    var latestSeen: UInt32? { counts.latest.withLock { $0 } }

    func stop() async {
        task.cancel()
        await task.value
    }
}

/// Short timings so tests cover several leases in seconds. The lease is ten heartbeat
/// intervals, and more than four intervals plus a reconnect (1 s connect, 1 s request
/// timeout, 0.4 s backoff): a loaded machine delaying a heartbeat, or a blip, cannot
/// cost the seat.
enum ShortLeases {
    static let lease = Duration.seconds(5)
    static let settings = ["lease_seconds": "5", "heartbeat_interval_seconds": "0.5", "sweep_interval_seconds": "0.2"]
    /// Quick timeouts and backoff, so a broken connection is noticed and retried in well
    /// under a lease.
    static let options = LeaseOptions(backoff: ReconnectBackoff(initial: .milliseconds(100), maximum: .milliseconds(400)))

    static func configuration(port: Int, daemon: DaemonProcess) -> SeatClientConfiguration {
        SeatClientConfiguration(host: "127.0.0.1", port: port, trustRootsFile: daemon.caFile, connectTimeout: .seconds(1), requestTimeout: .seconds(1), clientName: "lease-tests")
    }
}

/// Shorthands for waiting on states.
extension LeaseState {
    var isReconnecting: Bool { if case .reconnecting = self { true } else { false } }
    var isRegained: Bool { if case .regained = self { true } else { false } }
    var isLost: Bool { if case .lost = self { true } else { false } }
    var regainedGrant: AcquireGrant? { if case .regained(let grant, _) = self { grant } else { nil } }
    var recovery: LeaseRecovery? { if case .regained(_, let recovery) = self { recovery } else { nil } }
}

/// Polls `condition` every 20 ms for up to 30 s (by default).
func waitUntil(_ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
            throw StateTimeout()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

extension Timestamp {
    /// The wall clock now, to compare with the times the daemon (on this machine) reports.
    static var wallClockNow: Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}
