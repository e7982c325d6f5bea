import NIOCore
import SeatCore
import SeatLoadKit
import SeatProtocol

/// One client connection, driven on its event loop without leaving it: a reply is decoded,
/// fed to the client state machine and the next request written in the same callback
/// (no task hops per request, so the load generator leaves the cores to the server).
final class LoadConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Work {
        case scenario(ClientMachine)
        /// Acquire these keys one after another (the preload); every one must be granted.
        case preload([AcquireKey])
    }

    private let worker: LoadWorker
    private var work: Work
    private let ready: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    private var nextRequestID: UInt32 = 1
    private var inFlight: LoadRequest?
    private var preloadIndex = 0
    private var sentAt: UInt64 = 0
    private var transactionStart: UInt64 = 0
    private var schedule: OpenLoopSchedule?
    private var running = false
    /// Hello answered, and Authenticate too when there is an access key: requests may flow.
    private var helloDone = false
    /// Presented in Authenticate right after HelloAccepted; nil connects anonymously.
    private let accessKey: String?

    init(worker: LoadWorker, work: Work, ready: EventLoopPromise<Void>, accessKey: String?) {
        self.worker = worker
        self.work = work
        self.ready = ready
        self.accessKey = accessKey
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        // NIOSSL holds this until the handshake is done.
        let hello = Hello(minimumVersion: WireConstants.supportedVersions.lowerBound, maximumVersion: WireConstants.supportedVersions.upperBound, clientName: "seatload")
        write(.hello(hello), context: context)
        context.fireChannelActive()
    }

    // MARK: Driving

    func start(schedule: OpenLoopSchedule?) {
        running = true
        self.schedule = schedule
        if schedule == nil { startTransaction(due: NIODeadline.now().uptimeNanoseconds) } else { scheduleNext() }
    }

    func stopIfIdle() {
        if running && inFlight == nil { finish() }
    }

    private func finish() {
        guard running else { return }
        running = false
        worker.finished(self)
    }

    private func scheduleNext() {
        guard var schedule, let context else { return }
        let due = schedule.take()
        self.schedule = schedule
        let now = NIODeadline.now().uptimeNanoseconds
        if due <= now {
            startTransaction(due: due)
        } else {
            context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: .uptimeNanoseconds(due)) { [self] in
                guard running, !worker.stopping else { return finish() }
                startTransaction(due: due)
            }
        }
    }

    private func startTransaction(due: UInt64) {
        guard let context else { return }
        transactionStart = due
        let request: LoadRequest
        switch work {
        case .scenario(var machine):
            request = machine.startTransaction(&worker.random)
            work = .scenario(machine)
        case .preload(let keys):
            guard preloadIndex < keys.count else { return finish() }
            request = .acquire(keys[preloadIndex], .acquire)
            preloadIndex += 1
        }
        send(request, context: context)
    }

    private func send(_ request: LoadRequest, context: ChannelHandlerContext) {
        inFlight = request
        sentAt = NIODeadline.now().uptimeNanoseconds
        switch request {
        case .acquire(let key, _):
            write(.acquire(AcquireRequest(licenseKey: key.license, user: key.user, hostname: "", hardwareID: key.hardware, clientVersion: "seatload")), context: context)
        case .heartbeat(let token):
            write(.heartbeat(token), context: context)
        case .release(let token):
            write(.release(token), context: context)
        }
    }

    private func write(_ message: ClientMessage, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 96)
        ClientFrame(requestID: nextRequestID, message: message).encode(into: &buffer)
        nextRequestID = nextRequestID == UInt32.max ? 1 : nextRequestID + 1
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    // MARK: Replies

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame: ServerFrame
        do {
            frame = try ServerFrame(decoding: unwrapInboundIn(data))
        } catch {
            fail("undecodable reply", "\(error)", context: context)
            return
        }
        if frame.requestID == WireConstants.serverPushRequestID {
            if case .error(let reply) = frame.message {
                fail("server closed the connection", reply.message, context: context)
            }
            return
        }
        let reply: LoadReply
        switch frame.message {
        case .helloAccepted:
            if let accessKey {
                write(.authenticate(accessKey: accessKey), context: context)
                return
            }
            handshakeDone()
            return
        case .authenticated:
            handshakeDone()
            return
        case .acquired(let grant):
            reply = .granted(grant.token, reattached: grant.reattached)
        case .heartbeatAccepted, .released:
            reply = .ok
        case .error(let error):
            guard helloDone else {
                ready.fail(LoadError.connect("Hello or Authenticate refused: \(error.message) (code \(error.rawCode))"))
                context.close(promise: nil)
                return
            }
            reply = .refused(code: error.rawCode)
        case .validated, .adminReply, .sessionRevoked, .queued, .queuePosition, .queueGranted, .waitEnded, .borrowed:
            fail("unexpected reply", "\(frame.message)", context: context)
            return
        }
        guard let request = inFlight else {
            fail("unexpected reply", "no request in flight", context: context)
            return
        }
        inFlight = nil
        let now = NIODeadline.now().uptimeNanoseconds
        worker.recorder.recordOperation(request.operation, microseconds: (now &- sentAt) / 1000)
        worker.recorder.recordReply(reply, to: request.operation)

        var next: LoadRequest?
        switch work {
        case .scenario(var machine):
            next = machine.handle(reply, to: request, &worker.random)
            work = .scenario(machine)
        case .preload:
            if case .refused(let code) = reply {
                worker.recorder.recordError("preload acquire refused", detail: "code \(code)")
            }
        }
        if let next {
            send(next, context: context)
            return
        }
        worker.recorder.recordTransaction(microseconds: (now &- transactionStart) / 1000)
        if worker.stopping || !running {
            finish()
        } else if schedule != nil {
            scheduleNext()
        } else {
            startTransaction(due: now)
        }
    }

    private func handshakeDone() {
        helloDone = true
        worker.register(self)
        ready.succeed(())
    }

    func checkTimeout(now: UInt64, limit: UInt64) {
        guard inFlight != nil, now &- sentAt > limit, let context else { return }
        fail("timeout", "no reply within \(limit / 1_000_000_000) s", context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !helloDone {
            ready.fail(LoadError.connect("connection closed before HelloAccepted (or Authenticated)"))
        } else if running {
            fail("connection closed", "by the server", context: context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !helloDone {
            ready.fail(error)
        } else {
            fail("transport error", "\(error)", context: context)
        }
        context.close(promise: nil)
    }

    private func fail(_ kind: String, _ detail: String, context: ChannelHandlerContext) {
        guard running || inFlight != nil else { return }
        worker.recorder.recordError(kind, detail: detail)
        inFlight = nil
        finish()
        context.close(promise: nil)
    }
}
