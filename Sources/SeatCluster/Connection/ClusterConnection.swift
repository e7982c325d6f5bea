import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// One PostgreSQL session, opened on first use and opened anew on the next use after it
/// was lost or discarded: a caller sees the loss once, as its query's error, and the call
/// after it reconnects. Every connection runs `sessionSetup` before it is handed out.
final class ClusterConnection: Sendable {
    private let configuration: PostgresConnection.Configuration
    /// Where every session of this connection runs.
    let eventLoop: any EventLoop
    private let logger: Logger
    private let sessionSetup: [String]
    private let current = Mutex<EventLoopFuture<PostgresConnection>?>(nil)
    private static let nextID = Atomic<Int>(1)

    init(configuration: PostgresConnection.Configuration, eventLoop: any EventLoop, logger: Logger, sessionSetup: [String]) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.sessionSetup = sessionSetup
    }

    /// The open session, or a new one.
    func connection() -> EventLoopFuture<PostgresConnection> {
        let (future, isNew) = current.withLock { current -> (EventLoopFuture<PostgresConnection>, Bool) in
            if let current { return (current, false) }
            let future = connect()
            current = future
            return (future, true)
        }
        // Outside the lock: the callbacks may run at once, and they take it.
        if isNew {
            future.whenComplete { [self] result in
                switch result {
                case .failure: forget(future)
                case .success(let connection): connection.closeFuture.whenComplete { [self] _ in forget(future) }
                }
            }
        }
        return future
    }

    /// Runs `query` on the session (connecting first if need be) within `timeout`. After a
    /// timeout or a broken session the session is discarded, so the next query reconnects;
    /// a statement the server refused leaves it open.
    func run(_ query: PostgresQuery, operation: String, timeout: TimeAmount) -> EventLoopFuture<PostgresQueryResult> {
        let logger = logger
        let session = connection()
        // Only this session is discarded: another caller may already have opened the next.
        return session
            .flatMap { connection -> EventLoopFuture<PostgresQueryResult> in connection.query(query, logger: logger) }
            .timingOut(after: timeout, operation: operation) { [self] in discard(session) }
            .flatMapErrorThrowing { [self] error in
                if !PostgresErrorText.leavesSessionUsable(error) { discard(session) }
                throw error
            }
    }

    /// The open session if there is one, without connecting.
    var openConnection: EventLoopFuture<PostgresConnection>? {
        current.withLock { $0 }
    }

    /// Closes the session (a timed-out query may still be running on it); the next
    /// `connection()` opens a new one.
    func discard() {
        let future = current.withLock { current in
            defer { current = nil }
            return current
        }
        future.map(closeWhenOpen)
    }

    /// Discards `session` if it is still the current one, and closes it in any case.
    private func discard(_ session: EventLoopFuture<PostgresConnection>) {
        forget(session)
        closeWhenOpen(session)
    }

    private func closeWhenOpen(_ session: EventLoopFuture<PostgresConnection>) {
        session.whenSuccess { connection in
            let _: EventLoopFuture<Void> = connection.close()
        }
    }

    func close() async {
        let future = current.withLock { current in
            defer { current = nil }
            return current
        }
        guard let future, let connection = try? await future.get() else { return }
        try? await connection.close()
    }

    private func forget(_ future: EventLoopFuture<PostgresConnection>) {
        current.withLock { current in
            if current === future { current = nil }
        }
    }

    private func connect() -> EventLoopFuture<PostgresConnection> {
        let id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let setup = sessionSetup
        let logger = logger
        let connecting: EventLoopFuture<PostgresConnection> = PostgresConnection.connect(
            on: eventLoop, configuration: configuration, id: id, logger: logger
        )
        return connecting
            .flatMap { connection in
                var done = connection.eventLoop.makeSucceededVoidFuture()
                for statement in setup {
                    done = done.flatMap { connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).map { _ in } }
                }
                return done.map { connection }.flatMapError { error in
                    let _: EventLoopFuture<Void> = connection.close()
                    return connection.eventLoop.makeFailedFuture(error)
                }
            }
    }
}

extension EventLoopFuture {
    /// This future's result, or `ClusterError.timedOut` once `timeout` has passed first
    /// (then `onTimeout` runs, on the future's event loop).
    func timingOut(
        after timeout: TimeAmount, operation: String, onTimeout: @escaping @Sendable () -> Void = {}
    ) -> EventLoopFuture<Value> where Value: Sendable {
        let promise = eventLoop.makePromise(of: Value.self)
        let timer = eventLoop.scheduleTask(in: timeout) {
            promise.fail(ClusterError.timedOut(operation: operation, after: timeout))
            onTimeout()
        }
        whenComplete { result in
            timer.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }
}
