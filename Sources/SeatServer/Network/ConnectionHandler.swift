import Logging
import NIOCore
import NIOTLS
import SeatProtocol

/// Serves the seat protocol on one channel, TLS client or admin socket alike, on the
/// channel's event loop: splits the byte stream into frames, feeds them to its
/// `ConnectionStateMachine` and carries out what the machine decides (writes, requests
/// to the responder, timers, reading on and off, closing). It holds no rule of its own.
///
/// From outside the event loop, the connection is reached with `Command`s sent as user
/// outbound events (`ConnectionLink.push`, the listener's shutdown), which the channel
/// delivers on its event loop.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What every connection of a listener shares.
    struct Services: Sendable {
        var responder: any RequestResponder
        var directory: ConnectionDirectory
        var logger: Logger
    }

    enum Command: Sendable {
        /// A server-initiated frame, e.g. SessionRevoked.
        case push(ServerMessage)
        /// Graceful shutdown: finish the request in hand, send `shuttingDown`, close.
        case beginShutdown
    }

    private var machine: ConnectionStateMachine
    private var decoder: FrameDecoder
    /// The decoder's limit once the machine allows full frames (the machine's own limit
    /// applies before that).
    private let maximumFrameBytes: Int
    private let principal: Principal?
    private let services: Services
    /// The connection's place under the listener's unauthenticated caps, given back as soon
    /// as the machine says the connection has authenticated (or closed).
    private var unauthenticatedSlot: UnauthenticatedSlot?

    /// Replies buffered for a peer that does not read before the connection stops being
    /// read from: the channel's write buffer water marks, and the limit on replies held
    /// behind a batch still in flight.
    static let replyBudget = ChannelOptions.Types.WriteBufferWaterMark(low: 32 * 1024, high: 64 * 1024)

    private var context: ChannelHandlerContext?
    private var link: ConnectionLink?
    /// Received bytes not yet split into frames; `nil` when none, so an idle connection holds no buffer.
    private var received: ByteBuffer?
    private var timer: Scheduled<Void>?

    private var performing = false
    /// Actions produced while others were being carried out (e.g. by a synchronous reply,
    /// or by a close that fires `channelInactive`): carried out next, in order.
    private var deferred: [ConnectionStateMachine.Action] = []
    /// Replies not yet handed to the channel: encoded here, one buffer per batch.
    private var outgoing: ByteBuffer?
    /// A batch handed to the channel is not yet in the socket (its peer is not reading).
    /// Later replies wait in `outgoing` meanwhile: handing each to the channel on its own
    /// would cost a TLS output buffer (16 KiB) per reply until the peer reads.
    private var batchInFlight = false
    /// What the machine was last told of writability: the channel's, and `outgoing`
    /// within the reply budget.
    private var reportedWritable = true
    private var closing = false
    private var readingStopped = false
    /// The channel asked to read while reading was stopped; the read is issued on resume.
    private var readPending = false
    private var decodeOnResume = false
    private var decoding = false
    /// Replies to the frames of one read are flushed together: one write for many
    /// pipelined replies instead of one each.
    private var holdingFlush = false

    init(
        configuration: ConnectionStateMachine.Configuration, principal: Principal?, maximumFrameBytes: Int, services: Services, now: NIODeadline,
        unauthenticatedSlot: UnauthenticatedSlot? = nil
    ) {
        machine = ConnectionStateMachine(configuration: configuration, now: now)
        decoder = FrameDecoder(maximumFrameBytes: min(maximumFrameBytes, machine.frameLimit))
        self.maximumFrameBytes = maximumFrameBytes
        self.principal = principal
        self.services = services
        self.unauthenticatedSlot = unauthenticatedSlot
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        unauthenticatedSlot?.release()
        unauthenticatedSlot = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        received = nil
        perform(machine.closed())
        if let link {
            services.directory.unregister(link)
            services.responder.connectionClosed(link)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var bytes = unwrapInboundIn(data)
        if received == nil {
            received = bytes
        } else {
            received!.writeBuffer(&bytes)
        }
        decodeFrames()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        updateWritability()
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            perform(machine.tlsEstablished())
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        services.logger.debug("connection failed", metadata: ["peer": "\(link?.peerAddress ?? "?")", "error": "\(error)"])
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if readingStopped {
            readPending = true
        } else {
            context.read()
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let command = event as? Command else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch command {
        case .push(let message): perform(machine.push(message))
        case .beginShutdown: perform(machine.beginShutdown())
        }
        promise?.succeed()
    }

    // MARK: Carrying out the machine's actions

    private func start(context: ChannelHandlerContext) {
        guard link == nil else { return }
        let link = ConnectionLink(channel: context.channel, peerAddress: context.channel.remoteAddress?.ipAddress ?? "local", principal: principal)
        self.link = link
        services.directory.register(link)
        perform(machine.opened())
    }

    /// Hands complete frames to the machine, one at a time, while it wants them.
    private func decodeFrames() {
        guard !decoding, let context else { return }
        decoding = true
        holdingFlush = true
        defer {
            decoding = false
            holdingFlush = false
            flushIfNeeded()
        }
        while !readingStopped, !closing, received != nil {
            // The limit can change with every frame (Authenticate succeeding raises it).
            decoder.maximumFrameBytes = min(maximumFrameBytes, machine.frameLimit)
            let body: ByteBuffer?
            do {
                body = try decoder.decode(buffer: &received!)
            } catch {
                received = nil
                services.logger.debug("framing error", metadata: ["peer": "\(link?.peerAddress ?? "?")", "error": "\(error.reason)"])
                perform(machine.streamFailed(error, now: context.eventLoop.now))
                return
            }
            guard let body else { break }
            if received!.readableBytes == 0 { received = nil }
            perform(machine.received(Result { () throws(WireError) in try ClientFrame(decoding: body) }, now: context.eventLoop.now))
        }
        if !closing {
            // Left over: the start of a frame (or, with reading stopped, frames the machine
            // is not ready for, which it does not hold against the client).
            perform(machine.partialFrame(pending: received != nil, now: context.eventLoop.now))
        }
        keepOnlyTheRemainder()
    }

    /// An incomplete frame left over may be a small part of a large buffer (e.g. the TLS
    /// layer's read buffer): copy it out so the large one can be reused or freed.
    private func keepOnlyTheRemainder() {
        guard let remainder = received, remainder.capacity > remainder.readableBytes + 4_096, let context else { return }
        var copy = context.channel.allocator.buffer(capacity: remainder.readableBytes)
        copy.writeImmutableBuffer(remainder)
        received = copy
    }

    private func perform(_ actions: [ConnectionStateMachine.Action]) {
        guard !performing else {
            deferred += actions
            return
        }
        performing = true
        var batch = actions
        while true {
            for action in batch { execute(action) }
            batch = takeDeferred()
            if !batch.isEmpty { continue }
            if outgoing != nil, !holdingFlush {
                flushIfNeeded()
                batch = takeDeferred()
                if !batch.isEmpty { continue }
            }
            break
        }
        performing = false
        if unauthenticatedSlot != nil, !machine.isPreAuthentication {
            unauthenticatedSlot?.release()
            unauthenticatedSlot = nil
        }
        if decodeOnResume {
            decodeOnResume = false
            decodeFrames()
            if !readingStopped && !closing && readPending {
                readPending = false
                context?.read()
            }
        }
    }

    /// Hands the replies waiting in `outgoing` to the channel as one write, unless the
    /// previous batch has not reached the socket yet (then this one follows it).
    private func flushIfNeeded() {
        guard !holdingFlush, !batchInFlight, let batch = outgoing, let context else { return }
        outgoing = nil
        batchInFlight = true
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { [self] _ in
            batchInFlight = false
            flushIfNeeded()
            updateWritability()
        }
        context.writeAndFlush(wrapOutboundOut(batch), promise: written)
    }

    /// Tells the machine when writability changes: the channel's (its write buffer), or
    /// replies waiting behind a batch beyond the reply budget.
    private func updateWritability() {
        guard let context, !closing else { return }
        let writable = context.channel.isWritable && (outgoing?.readableBytes ?? 0) < Self.replyBudget.high
        guard writable != reportedWritable else { return }
        reportedWritable = writable
        perform(machine.writabilityChanged(isWritable: writable, now: context.eventLoop.now))
    }

    private func takeDeferred() -> [ConnectionStateMachine.Action] {
        guard !deferred.isEmpty else { return [] }
        defer { deferred = [] }
        return deferred
    }

    private func execute(_ action: ConnectionStateMachine.Action) {
        guard let context else { return }
        switch action {
        case .write(let frame):
            if outgoing == nil { outgoing = context.channel.allocator.buffer(capacity: 256) }
            frame.encode(into: &outgoing!)
            if batchInFlight { updateWritability() }
        case .dispatch(let message):
            guard let link else { return }
            let eventLoop = context.eventLoop
            let handler = NIOLoopBound(self, eventLoop: eventLoop)
            services.responder.respond(to: message, requestID: machine.inFlightRequestID ?? 0, on: link) { outcome in
                if eventLoop.inEventLoop {
                    handler.value.answered(outcome)
                } else {
                    eventLoop.execute { handler.value.answered(outcome) }
                }
            }
        case .close:
            closing = true
            received = nil
            // The last replies (e.g. the error that closes) go out after any batch in flight.
            if let batch = outgoing {
                outgoing = nil
                context.writeAndFlush(wrapOutboundOut(batch), promise: nil)
            }
            context.close(promise: nil)
        case .scheduleTimer(let deadline):
            timer?.cancel()
            timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                timer = nil
                guard let context = self.context else { return }
                perform(machine.timerFired(now: context.eventLoop.now))
            }
        case .cancelTimer:
            timer?.cancel()
            timer = nil
        case .stopReading:
            readingStopped = true
        case .resumeReading:
            readingStopped = false
            decodeOnResume = true
        }
    }

    private func answered(_ outcome: RequestOutcome) {
        guard let context else { return }
        perform(machine.answered(outcome, now: context.eventLoop.now))
    }
}
