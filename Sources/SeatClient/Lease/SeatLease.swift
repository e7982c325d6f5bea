import SeatCore
import SeatProtocol

/// A seat held for as long as the application runs.
///
/// ``acquire(_:configuration:options:)`` takes a seat and returns a lease that keeps it:
/// it heartbeats at the interval the server advises; when the connection breaks it
/// reconnects with jittered exponential backoff and re-attaches to the same session (a
/// heartbeat with the same token, and an idempotent acquire if the grant itself was cut
/// off), so a network blip or a server restart never takes a second seat. When the
/// session is really gone it re-acquires or stops, per ``LeaseOptions/onSessionLoss``.
///
/// Watch ``states`` to learn what happens, and call ``release()`` on a clean shutdown.
/// Dropping the last reference (or ``cancel()``) stops heartbeating without releasing; so
/// does a crash, and the server then reclaims the seat when its lease runs out.
///
/// ```swift
/// let lease = try await SeatLease.acquire(
///     SeatRequest(licenseKey: "ACME-CAD-5", clientVersion: "2.4.1"),
///     configuration: SeatClientConfiguration(host: "licenses.example.com", trustRootsFile: "/etc/acme/ca.pem")
/// )
/// for await state in lease.states { print(state) }
/// ```
public final class SeatLease: Sendable {
    private let driver: LeaseDriver
    private let keeper: Task<Void, Never>

    private init(driver: LeaseDriver) {
        self.driver = driver
        self.keeper = Task { await driver.run(untilStarted: false) }
    }

    deinit {
        keeper.cancel()
        Task { [driver, keeper] in
            await keeper.value
            await driver.abandon()
        }
    }

    /// Acquires a seat and starts keeping it.
    ///
    /// Tries the configured servers in order. Waits for a free seat (or a reachable
    /// server) up to ``LeaseOptions/waitForSeat``: in the server's queue (protocol-spec.md
    /// 9a), where the seat is pushed as soon as it is this lease's turn, and `onQueued` is
    /// told the place each time it changes; with a server that has no queue, retrying with
    /// backoff.
    ///
    /// - Throws: `ErrorReply` when the server refuses (`noSeats` with its detail when no seat
    ///   freed up in time; `unknownLicense`, `licenseExpired`, … when the license cannot be
    ///   used); ``SeatClientError`` when no server could be reached or did not answer in
    ///   time; `CancellationError` when the calling task was cancelled first.
    public static func acquire(
        _ request: SeatRequest,
        configuration: SeatClientConfiguration,
        options: LeaseOptions = LeaseOptions(),
        onQueued: @escaping @Sendable (QueuePlace) -> Void = { _ in }
    ) async throws -> SeatLease {
        let driver = LeaseDriver(request: request, configuration: configuration, options: options, queueObserver: onQueued)
        await driver.run(untilStarted: true)
        switch driver.start {
        case .granted:
            return SeatLease(driver: driver)
        case .failed(let failure):
            throw failure.thrownError
        case .pending:
            await driver.abandon()
            throw CancellationError()
        }
    }

    /// The current state; see ``LeaseState``.
    public var state: LeaseState { driver.states.current ?? .cancelled }

    /// The lease's states: first the current one, then every change. The stream ends after
    /// a final state. Each access returns a new, independent stream; a reader that falls
    /// far behind loses the oldest states it has not read.
    public var states: AsyncStream<LeaseState> { driver.states.subscribe() }

    /// The session held now, or nil while none is (after a loss, before re-acquiring).
    public var session: SessionToken? { driver.session }

    /// The latest lease expiry the server confirmed (server wall clock), or nil while no
    /// session is held.
    public var leaseExpiresAt: Timestamp? { driver.leaseExpiresAt }

    /// Stops heartbeating and releases the seat, so another user can take it at once.
    /// Idempotent: later calls return nil.
    ///
    /// - Returns: the server's answer, or nil when no seat was held (already released, or
    ///   lost for good).
    /// - Throws: when the release could not be delivered; the seat then expires on the
    ///   server when its lease runs out.
    @discardableResult
    public func release() async throws -> ReleaseResult? {
        keeper.cancel()
        await keeper.value
        return try await driver.release()
    }

    /// Stops heartbeating without releasing: the server keeps the seat until its lease
    /// runs out. The state becomes ``LeaseState/cancelled``.
    public func cancel() async {
        keeper.cancel()
        await keeper.value
        await driver.abandon()
    }
}

extension LeaseFailure {
    /// The error `SeatLease.acquire` throws when the first acquire fails with this.
    var thrownError: any Error {
        switch self {
        case .server(let reply): reply
        case .timedOut: SeatClientError.timedOut
        case .unreachable(let what): SeatClientError.unreachable(what)
        case .connectionLost: SeatClientError.connectionClosed
        }
    }
}
