import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Takes part in the election: carries out `LeadershipStateMachine`'s steps on a dedicated
/// PostgreSQL session (the one that holds the advisory lock while this node leads) and
/// publishes the events. `run` until cancelled; cancelling closes the lock session, which
/// hands the leadership over at once.
public final class LeadershipDriver: Sendable {
    public let configuration: LeadershipConfiguration
    /// The events, in order; one consumer.
    public let events: AsyncStream<LeadershipEvent>
    private let continuation: AsyncStream<LeadershipEvent>.Continuation
    private let session: ClusterConnection
    private let logger: Logger

    public init(
        settings: PostgresSettings,
        configuration: LeadershipConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) throws(ClusterSettingsError) {
        self.configuration = configuration
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        session = ClusterConnection(
            configuration: try settings.connectionConfiguration(), eventLoop: eventLoopGroup.any(), logger: logger,
            sessionSetup: Self.sessionSetup(configuration)
        )
        self.logger = logger
    }

    /// So that PostgreSQL notices a vanished leader by itself (and frees the lock) even
    /// when no standby terminates its backend: keepalives well inside the lease, and a send
    /// that stays unacknowledged for a lease drops the connection.
    static func sessionSetup(_ configuration: LeadershipConfiguration) -> [String] {
        let leaseMilliseconds = configuration.lease.nanoseconds / 1_000_000
        let idleSeconds = max(1, leaseMilliseconds / 4000)
        return [
            "SET tcp_keepalives_idle = \(idleSeconds)",
            "SET tcp_keepalives_interval = 1",
            "SET tcp_keepalives_count = 3",
            "SET tcp_user_timeout = \(leaseMilliseconds)",
            "SET statement_timeout = \(leaseMilliseconds)",
        ]
    }

    /// Runs the election until the task is cancelled, then closes the lock session and
    /// finishes `events`. Call once.
    public func run() async {
        var machine = LeadershipStateMachine(configuration: configuration)
        var step = machine.start()
        while !Task.isCancelled {
            for effect in step.effects {
                switch effect {
                case .emit(let event):
                    logger.info("leadership: \(event)")
                    continuation.yield(event)
                case .closeLockSession:
                    session.discard()
                }
            }
            let input = await perform(step.next)
            if Task.isCancelled { break }
            step = machine.handle(input, now: .now())
        }
        await session.close()
        continuation.finish()
    }

    private func perform(_ operation: LeadershipStateMachine.Operation) async -> LeadershipStateMachine.Input {
        switch operation {
        case .tryTakeOver:
            let sentAt = NIODeadline.now()
            return await query(takeOverQuery, "the takeover", timeout: configuration.queryTimeout) { result in
                guard let row = result.rows.first else { return .lockBusy }
                return .tookOver(epoch: UInt64(try row.decode(Int64.self)), sentAt: sentAt)
            }
        case .readLeader:
            return await query(LeaderRecord.query, "reading the leader", timeout: configuration.queryTimeout) { result in
                guard let row = result.rows.first else { return .queryFailed("the leader row is missing") }
                return .leaderObserved(try LeaderRecord(row: row))
            }
        case .renew(let epoch, let timeout):
            let sentAt = NIODeadline.now()
            return await query(renewQuery(epoch: epoch), "the lease renewal", timeout: timeout) { result in
                result.metadata.rows == 1 ? .renewed(sentAt: sentAt) : .renewalRefused
            }
        case .terminateBackend(let pid):
            logger.warning("leadership: the leader's lease ran out; terminating its lock session (backend \(pid))")
            return await query("SELECT pg_terminate_backend(\(pid))", "terminating the old leader's backend", timeout: configuration.queryTimeout) { _ in
                .backendTerminated
            }
        case .wait(let deadline):
            return await wait(until: deadline)
        }
    }

    private var takeOverQuery: PostgresQuery {
        """
        UPDATE seatd_leader
        SET epoch = epoch + 1, node = \(configuration.node), address = \(configuration.address),
            lease_until = now() + make_interval(secs => \(Self.seconds(configuration.lease))),
            backend_pid = pg_backend_pid()
        WHERE id = 1 AND pg_try_advisory_lock(\(ClusterSchema.leadershipLockKey))
        RETURNING epoch
        """
    }

    private func renewQuery(epoch: UInt64) -> PostgresQuery {
        """
        UPDATE seatd_leader SET lease_until = now() + make_interval(secs => \(Self.seconds(configuration.lease)))
        WHERE id = 1 AND epoch = \(Int64(clamping: epoch)) AND backend_pid = pg_backend_pid()
        """
    }

    private static func seconds(_ amount: TimeAmount) -> Double {
        Double(amount.nanoseconds) / 1_000_000_000
    }

    private func query(
        _ query: PostgresQuery, _ operation: String, timeout: TimeAmount,
        _ interpret: @escaping @Sendable (PostgresQueryResult) throws -> LeadershipStateMachine.Input
    ) async -> LeadershipStateMachine.Input {
        do {
            return try interpret(try await session.run(query, operation: operation, timeout: timeout).get())
        } catch {
            logger.debug("leadership: \(operation) failed: \(PostgresErrorText.of(error))")
            return .queryFailed("\(operation): \(PostgresErrorText.of(error))")
        }
    }

    /// Until `deadline`, or until the lock session closes (then at once).
    private func wait(until deadline: NIODeadline) async -> LeadershipStateMachine.Input {
        let eventLoop = session.eventLoop
        let promise = eventLoop.makePromise(of: LeadershipStateMachine.Input.self)
        let timer = eventLoop.scheduleTask(deadline: deadline) { promise.succeed(.tick) }
        session.openConnection?.whenSuccess { connection in
            connection.closeFuture.whenComplete { _ in promise.succeed(.lockSessionClosed) }
        }
        let input = await withTaskCancellationHandler {
            (try? await promise.futureResult.get()) ?? .tick
        } onCancel: {
            promise.succeed(.tick)
        }
        timer.cancel()
        return input
    }
}
