import NIOCore
import SeatLoadKit

/// The clients of one event loop and what they measured. Touched only on `eventLoop`
/// (other threads go through `eventLoop.submit`), hence @unchecked Sendable.
final class LoadWorker: @unchecked Sendable {
    enum Pacing {
        case closed
        /// Open loop: each connection starts a transaction every `intervalNanoseconds`.
        case open(intervalNanoseconds: UInt64)
    }

    let eventLoop: any EventLoop
    var recorder = LoadRecorder()
    var random: LoadRandom
    var handlers: [LoadConnectionHandler] = []
    /// Connections that have not finished their last transaction since `stop`.
    var active = 0
    var stopping = false
    var requestTimeoutNanoseconds: UInt64 = 15_000_000_000

    init(eventLoop: any EventLoop, seed: UInt64) {
        self.eventLoop = eventLoop
        self.random = LoadRandom(seed: seed)
    }

    func register(_ handler: LoadConnectionHandler) {
        eventLoop.preconditionInEventLoop()
        handlers.append(handler)
    }

    /// Starts every registered connection.
    func go(pacing: Pacing) {
        eventLoop.preconditionInEventLoop()
        recorder = LoadRecorder()
        let now = NIODeadline.now().uptimeNanoseconds
        active = handlers.count
        for handler in handlers {
            switch pacing {
            case .closed:
                handler.start(schedule: nil)
            case .open(let interval):
                // Random phase, so connections do not fire in lock-step.
                let offset = random.next() % interval
                handler.start(schedule: OpenLoopSchedule(startNanoseconds: now + offset, intervalNanoseconds: interval))
            }
        }
    }

    func stop() {
        stopping = true
        for handler in handlers { handler.stopIfIdle() }
    }

    func finished(_ handler: LoadConnectionHandler) {
        active -= 1
    }

    /// Fails requests older than the request timeout (checked once a second, not per request).
    func checkTimeouts() {
        let now = NIODeadline.now().uptimeNanoseconds
        for handler in handlers { handler.checkTimeout(now: now, limit: requestTimeoutNanoseconds) }
    }
}
