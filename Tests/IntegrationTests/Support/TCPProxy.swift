import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP proxy between a client and the daemon, to break the network on demand:
/// drop every connection, refuse new ones for a while, or black-hole traffic (connections
/// stay open but nothing gets through, like a pulled cable).
final class TCPProxy: Sendable {
    private struct State {
        var targetPort: Int
        var refusing = false
        var blackholing = false
        var nextID = 0
        var connections: [Int: (any Channel, any Channel)] = [:]
        var accepted = 0
    }

    let port: Int
    private let listener: any Channel
    private let state: Mutex<State>

    private init(port: Int, listener: any Channel, targetPort: Int) {
        self.port = port
        self.listener = listener
        self.state = Mutex(State(targetPort: targetPort))
    }

    static func start(targetPort: Int) async throws -> TCPProxy {
        // The listener's child initializer needs the proxy, which needs the listener's
        // port: share the state box and build the proxy after binding.
        let box = ProxyBox()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                guard let proxy = box.proxy else { return inbound.close() }
                return proxy.accept(inbound)
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let proxy = TCPProxy(port: listener.localAddress!.port!, listener: listener, targetPort: targetPort)
        box.proxy = proxy
        return proxy
    }

    /// Points new connections at another port (e.g. the daemon after a restart).
    func retarget(to port: Int) {
        state.withLock { $0.targetPort = port }
    }

    /// Closes every open connection at once, as a network failure would.
    func dropAllConnections() {
        let open = state.withLock { state in
            defer { state.connections.removeAll() }
            return Array(state.connections.values)
        }
        for (client, server) in open {
            client.close(promise: nil)
            server.close(promise: nil)
        }
    }

    /// While refusing, new connections are closed as soon as they are accepted.
    func setRefusing(_ refusing: Bool) {
        state.withLock { $0.refusing = refusing }
    }

    /// While black-holing, bytes in either direction are dropped and connections stay open.
    func setBlackholing(_ blackholing: Bool) {
        state.withLock { $0.blackholing = blackholing }
    }

    var isBlackholing: Bool { state.withLock { $0.blackholing } }

    /// Connections accepted so far (refused ones included).
    var acceptedConnections: Int { state.withLock { $0.accepted } }

    func stop() async {
        dropAllConnections()
        try? await listener.close()
    }

    private func accept(_ inbound: any Channel) -> EventLoopFuture<Void> {
        let (refusing, targetPort) = state.withLock { state in
            state.accepted += 1
            return (state.refusing, state.targetPort)
        }
        if refusing { return inbound.close() }
        return ClientBootstrap(group: inbound.eventLoop)
            .channelOption(.autoRead, value: false)
            .connect(host: "127.0.0.1", port: targetPort)
            .flatMap { outbound in
                let id = self.state.withLock { state in
                    defer { state.nextID += 1 }
                    state.connections[state.nextID] = (inbound, outbound)
                    return state.nextID
                }
                let forget: @Sendable () -> Void = { [weak self] in
                    _ = self?.state.withLock { $0.connections.removeValue(forKey: id) }
                }
                return inbound.pipeline.addHandler(Relay(peer: outbound, proxy: self, onClose: forget))
                    .flatMap { outbound.pipeline.addHandler(Relay(peer: inbound, proxy: self, onClose: forget)) }
            }
            .flatMapError { _ in inbound.close() }
    }

    /// Copies bytes to the peer channel (unless black-holing) and closes the peer when
    /// this side closes.
    private final class Relay: ChannelInboundHandler, RemovableChannelHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel
        let proxy: TCPProxy
        let onClose: @Sendable () -> Void

        init(peer: any Channel, proxy: TCPProxy, onClose: @escaping @Sendable () -> Void) {
            self.peer = peer
            self.proxy = proxy
            self.onClose = onClose
        }

        // Reads are manual (autoRead off) so nothing is read before both sides exist. The
        // accepted side becomes active only after its initializer (which adds this handler)
        // completes; the connected side is already active.
        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { context.read() }
        }

        func channelActive(context: ChannelHandlerContext) {
            context.read()
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !proxy.isBlackholing else { return }
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.read()
        }

        func channelInactive(context: ChannelHandlerContext) {
            onClose()
            peer.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// Lets the listener's initializer reach the proxy built after the bind.
private final class ProxyBox: Sendable {
    private let value = Mutex<TCPProxy?>(nil)
    var proxy: TCPProxy? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
