import NIOCore

/// The election's rules, without I/O: the driver (`LeadershipDriver`) carries out each
/// step's effects and operation against PostgreSQL and feeds the outcome back, with the
/// time on its monotonic clock.
///
/// A standby polls: it tries to take over (the advisory lock and the epoch update in one
/// statement); when the lock is held it reads the leader row, and when the lease ran out by
/// PostgreSQL's clock it terminates the lock holder's backend, so the lock frees and a
/// later poll takes over. The active node renews every third of the lease and gives up when
/// a renewal fails or is refused, its lock session closes, or its own deadline (the lease
/// less a margin, counted from when the last good renewal was sent) passes first.
public struct LeadershipStateMachine: Sendable {
    public enum Role: Sendable, Equatable {
        case standby
        /// `deadline`: when this node stops considering itself the leader unless renewed.
        case active(epoch: UInt64, deadline: NIODeadline)
    }

    /// The outcome of the last operation.
    public enum Input: Sendable, Equatable {
        /// `.wait` ended.
        case tick
        /// `.tryTakeOver` got the lock and moved the epoch to `epoch`; it was sent at `sentAt`.
        case tookOver(epoch: UInt64, sentAt: NIODeadline)
        /// `.tryTakeOver` found the lock held by another session.
        case lockBusy
        case leaderObserved(LeaderRecord)
        case backendTerminated
        /// `.renew` updated the lease; it was sent at `sentAt`.
        case renewed(sentAt: NIODeadline)
        /// `.renew` matched no row: the epoch or the lock session is no longer ours.
        case renewalRefused
        /// The operation failed or got no answer in time.
        case queryFailed(String)
        /// The lock session closed while waiting.
        case lockSessionClosed
    }

    /// What the driver does next; every step ends in exactly one.
    public enum Operation: Sendable, Equatable {
        /// `UPDATE seatd_leader SET epoch = epoch + 1, ... WHERE pg_try_advisory_lock(key)`.
        case tryTakeOver
        case readLeader
        /// Extend the lease, only for `epoch` and this lock session; give up after `timeout`.
        case renew(epoch: UInt64, timeout: TimeAmount)
        /// `pg_terminate_backend(pid)`: the lock holder whose lease ran out.
        case terminateBackend(pid: Int32)
        /// Wait until `until`, or until the lock session closes.
        case wait(until: NIODeadline)
    }

    public enum Effect: Sendable, Equatable {
        case emit(LeadershipEvent)
        /// Close the lock session, which releases the advisory lock.
        case closeLockSession
    }

    public struct Step: Sendable, Equatable {
        /// Carried out in order, before `next`.
        public var effects: [Effect]
        public var next: Operation

        public init(effects: [Effect] = [], next: Operation) {
            self.effects = effects
            self.next = next
        }
    }

    private struct LeaderName: Equatable {
        var node: String?
        var address: String?
    }

    public let configuration: LeadershipConfiguration
    public private(set) var role: Role = .standby
    /// The active node last announced with `activeNodeChanged`.
    private var announced: LeaderName?

    public init(configuration: LeadershipConfiguration) {
        self.configuration = configuration
    }

    public mutating func start() -> Step {
        Step(next: .tryTakeOver)
    }

    public mutating func handle(_ input: Input, now: NIODeadline) -> Step {
        switch role {
        case .standby: standby(input, now: now)
        case .active(let epoch, let deadline): active(epoch: epoch, deadline: deadline, input, now: now)
        }
    }

    private mutating func standby(_ input: Input, now: NIODeadline) -> Step {
        let nextPoll = Step(next: .wait(until: now + configuration.pollInterval))
        switch input {
        case .tick:
            return Step(next: .tryTakeOver)
        case .tookOver(let epoch, let sentAt):
            let deadline = sentAt + configuration.lease - configuration.leaseMargin
            // Answered too late to lead safely: leave it to the next takeover.
            guard now < deadline else { return Step(effects: [.closeLockSession], next: nextPoll.next) }
            role = .active(epoch: epoch, deadline: deadline)
            var effects: [Effect] = [.emit(.becameActive(epoch: epoch))]
            effects += announce(LeaderName(node: configuration.node, address: configuration.address))
            return Step(effects: effects, next: .wait(until: min(now + configuration.renewalInterval, deadline)))
        case .lockBusy:
            return Step(next: .readLeader)
        case .leaderObserved(let leader):
            let effects = announce(leader.leaseExpired ? nil : LeaderName(node: leader.node, address: leader.address))
            if leader.leaseExpired, let holder = leader.lockHolderPID {
                return Step(effects: effects, next: .terminateBackend(pid: holder))
            }
            return Step(effects: effects, next: nextPoll.next)
        case .queryFailed:
            // The lock session may be in any state (even holding the lock): start afresh.
            return Step(effects: [.closeLockSession], next: nextPoll.next)
        case .backendTerminated, .lockSessionClosed, .renewed, .renewalRefused:
            return nextPoll
        }
    }

    private mutating func active(epoch: UInt64, deadline: NIODeadline, _ input: Input, now: NIODeadline) -> Step {
        switch input {
        case .renewed(let sentAt):
            let renewed = max(deadline, sentAt + configuration.lease - configuration.leaseMargin)
            guard now < renewed else { return lose(.leaseDeadlinePassed, now: now) }
            role = .active(epoch: epoch, deadline: renewed)
            return Step(next: .wait(until: min(now + configuration.renewalInterval, renewed)))
        case .renewalRefused:
            return lose(.supplanted, now: now)
        case .queryFailed(let message):
            return lose(.renewalFailed(message), now: now)
        case .lockSessionClosed:
            return lose(.lockSessionLost, now: now)
        case .tick, .tookOver, .lockBusy, .leaderObserved, .backendTerminated:
            guard now < deadline else { return lose(.leaseDeadlinePassed, now: now) }
            return Step(next: .renew(epoch: epoch, timeout: deadline - now))
        }
    }

    private mutating func lose(_ reason: LeadershipLossReason, now: NIODeadline) -> Step {
        role = .standby
        let effects: [Effect] = [.closeLockSession, .emit(.lostLeadership(reason))] + announce(nil)
        return Step(effects: effects, next: .wait(until: now + configuration.pollInterval))
    }

    private mutating func announce(_ leader: LeaderName?) -> [Effect] {
        guard leader != announced else { return [] }
        announced = leader
        return [.emit(.activeNodeChanged(node: leader?.node, address: leader?.address))]
    }
}
