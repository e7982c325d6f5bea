import Foundation
import SeatCore
import SeatProtocol
import Synchronization

/// The I/O around `LeaseStateMachine`: performs its actions on real connections and feeds
/// the outcomes back. One task runs `run` at a time; `release` and `abandon` stop that task
/// before they touch the connection.
final class LeaseDriver: Sendable {
    private let request: SeatRequest
    private let configuration: SeatClientConfiguration
    private let machine: Mutex<LeaseStateMachine<SystemRandomNumberGenerator>>
    private let connection = Mutex<SeatConnection?>(nil)
    /// Revocation notices and closes of the connections, until the loop feeds them to the machine.
    private let inbox = LeaseInbox()
    private let origin = ContinuousClock.now
    let states = StateBroadcaster()
    /// Told the place each time the first acquire is queued or moves up in the queue.
    private let queueObserver: @Sendable (QueuePlace) -> Void

    init(request: SeatRequest, configuration: SeatClientConfiguration, options: LeaseOptions, queueObserver: @escaping @Sendable (QueuePlace) -> Void = { _ in }) {
        self.request = request
        self.configuration = configuration
        self.queueObserver = queueObserver
        self.machine = Mutex(LeaseStateMachine(
            servers: configuration.servers, options: options, requestTimeout: configuration.requestTimeout,
            random: SystemRandomNumberGenerator(), startedAt: .zero
        ))
    }

    var start: LeaseStateMachine<SystemRandomNumberGenerator>.Start { machine.withLock { $0.start } }
    var session: SessionToken? { machine.withLock { $0.session } }
    var leaseExpiresAt: Timestamp? { machine.withLock { $0.leaseExpiresAt } }

    /// Drives the machine until it finishes, the task is cancelled, or (with `untilStarted`)
    /// the first acquire has been granted or has failed.
    func run(untilStarted: Bool) async {
        while !Task.isCancelled {
            // Connection events first: the machine then decides the next action knowing that
            // the session is gone, or that the connection is.
            for event in inbox.takeAll() {
                switch event {
                case .revoked(let notice):
                    if await feed(.sessionRevoked(notice)) { return }
                case .queue(let news):
                    if case .moved(let notice) = news { queueObserver(notice.place) }
                    if await feed(.queueNews(news)) { return }
                case .closed(let closed):
                    // Only the current connection matters; the driver closes old ones itself.
                    guard connection.withLock({ $0?.number == closed }) else { continue }
                    if await feed(.requestFailed(.connectionLost("the server closed the connection"))) { return }
                }
            }
            // A seat pushed to the waiting first acquire starts the lease.
            if untilStarted, machine.withLock({ $0.start }) != .pending { return }
            let action = machine.withLock { $0.nextAction(now: now()) }
            if action == .finish { break }
            let outcome = await perform(action)
            if await feed(outcome) { return }
            if untilStarted, machine.withLock({ $0.start }) != .pending { return }
        }
    }

    /// Hands one outcome to the machine and publishes the change; returns true when the
    /// lease has ended on its own (lost or revoked for good, or the start failed).
    private func feed(_ outcome: LeaseStateMachine<SystemRandomNumberGenerator>.Outcome) async -> Bool {
        let (change, finished) = machine.withLock { machine in
            (machine.handle(outcome, now: now()), machine.isFinished)
        }
        if let change { states.publish(change) }
        if finished { await shutDown() }
        return finished
    }

    /// Releases the session (after `run` has stopped), on the current connection or, if it
    /// is gone, on a new one. Returns nil when no seat was held or the lease had already
    /// stopped.
    func release() async throws -> ReleaseResult? {
        guard case .stopped(let holding) = machine.withLock({ $0.stop() }) else { return nil }
        guard let token = holding else {
            end(.released)
            await shutDown()
            return nil
        }
        do {
            let result = try await releaseOnSomeConnection(token)
            end(.released)
            await shutDown()
            return result
        } catch {
            end(.cancelled)
            await shutDown()
            throw error
        }
    }

    /// Stops without releasing (after `run` has stopped): the seat expires on the server.
    func abandon() async {
        guard case .stopped = machine.withLock({ $0.stop() }) else { return }
        end(.cancelled)
        await shutDown()
    }

    // MARK: Actions

    private func perform(_ action: LeaseStateMachine<SystemRandomNumberGenerator>.Action) async -> LeaseStateMachine<SystemRandomNumberGenerator>.Outcome {
        switch action {
        case .connect(let server):
            await closeConnection()
            let endpoint = configuration.servers[server]
            do {
                let opened = try await SeatConnection.connect(to: endpoint, configuration: configuration)
                connection.withLock { $0 = opened }
                // The stream finishes when the connection closes: the lease then reconnects at
                // once instead of finding out at its next heartbeat.
                Task { [inbox] in
                    for await news in opened.queueNews { inbox.post(.queue(news)) }
                }
                Task { [inbox] in
                    for await notice in opened.revocations { inbox.post(.revoked(notice)) }
                    inbox.post(.closed(connection: opened.number))
                }
                return .connected(server: server, lease: .milliseconds(Int64(opened.server.leaseMilliseconds)))
            } catch {
                return .connectFailed(server: server, LeaseFailure(error, connectingTo: endpoint))
            }
        case .acquire:
            guard let current = connection.withLock({ $0 }) else { return .requestFailed(.connectionLost("not connected")) }
            do {
                return .acquired(try await current.acquire(
                    licenseKey: request.licenseKey, user: request.user, hostname: request.hostname,
                    hardwareID: request.hardwareID, clientVersion: request.clientVersion
                ))
            } catch {
                return .requestFailed(LeaseFailure(error, connectingTo: nil))
            }
        case .acquireOrWait:
            guard let current = connection.withLock({ $0 }) else { return .requestFailed(.connectionLost("not connected")) }
            do {
                switch try await current.acquireOrWait(
                    licenseKey: request.licenseKey, user: request.user, hostname: request.hostname,
                    hardwareID: request.hardwareID, clientVersion: request.clientVersion
                ) {
                case .acquired(let grant):
                    return .acquired(grant)
                case .queued(let place):
                    queueObserver(place)
                    return .queued(place)
                }
            } catch {
                return .requestFailed(LeaseFailure(error, connectingTo: nil))
            }
        case .heartbeat(let token, let timeout):
            guard let current = connection.withLock({ $0 }) else { return .requestFailed(.connectionLost("not connected")) }
            do {
                return .heartbeatAccepted(try await current.heartbeat(token, timeout: timeout))
            } catch {
                return .requestFailed(LeaseFailure(error, connectingTo: nil))
            }
        case .sleep(let until):
            // Cancellation (release, cancel, deinit) ends the sleep early; `run` then stops.
            // So does a connection event, which the loop then feeds to the machine.
            let deadline = origin + until
            await withTaskGroup(of: Void.self) { [inbox] group in
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
                group.addTask { await inbox.waitForEvent() }
                await group.next()
                group.cancelAll()
            }
            return .slept
        case .finish:
            return .slept
        }
    }

    private func releaseOnSomeConnection(_ token: SessionToken) async throws -> ReleaseResult {
        if let current = connection.withLock({ $0 }) {
            do {
                return try await current.release(token)
            } catch let reply as ErrorReply where reply.activeNode == nil {
                throw reply
            } catch {
                // The connection broke, or its server is a standby now; fall through to a fresh one.
            }
        }
        await closeConnection()
        let (fresh, result) = try await SeatConnection.connectToActive(configuration) { try await $0.release(token) }
        connection.withLock { $0 = fresh }
        return result
    }

    private func end(_ final: LeaseState) {
        if let change = machine.withLock({ $0.end(final) }) { states.publish(change) }
    }

    private func shutDown() async {
        states.finish()
        await closeConnection()
    }

    private func closeConnection() async {
        let old = connection.withLock { current -> SeatConnection? in
            defer { current = nil }
            return current
        }
        await old?.close()
    }

    private func now() -> LeaseMoment {
        LeaseMoment(
            monotonic: ContinuousClock.now - origin,
            wall: Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
        )
    }
}

extension LeaseFailure {
    /// Classifies a thrown error: a server refusal, a timeout, or a broken connection
    /// (`unreachable` when it happened while connecting to `endpoint`).
    init(_ error: any Error, connectingTo endpoint: ServerEndpoint?) {
        switch error {
        case let reply as ErrorReply:
            self = .server(reply)
        case SeatClientError.timedOut:
            self = .timedOut
        default:
            if let failure = error as? ConnectionFailure {
                self = .unreachable(failure.description)  // it names the server itself
            } else if let endpoint {
                self = .unreachable("\(endpoint): \(error)")
            } else {
                self = .connectionLost("\(error)")
            }
        }
    }
}
