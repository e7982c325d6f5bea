import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Hummingbird's HTTP/1.1 child channel with what seatd puts in front of it: a cap on
/// open connections (one past it is closed at accept, unread, and holds no descriptor for
/// longer) and TLS with the context `tls()` gives at accept time, so a SIGHUP that reloads
/// the certificate reaches the next connection as it reaches the seat protocol's.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let admission: (any ConnectionAdmission)?
    let tls: (@Sendable () -> NIOSSLContext)?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            if let admission {
                guard admission.tryAcquire() else {
                    logger.debug("HTTP connection refused: connection limit reached")
                    // A failed setup alone leaves the socket open and unread.
                    channel.close(promise: nil)
                    throw ConnectionAdmissionRefused()
                }
                channel.closeFuture.whenComplete { _ in admission.release() }
            }
            if let tls {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls()))
            }
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Counts a listener's open connections against its limit.
public protocol ConnectionAdmission: Sendable {
    /// Takes a slot, or returns false at the limit.
    func tryAcquire() -> Bool
    /// Gives back a slot taken by `tryAcquire`.
    func release()
}

struct ConnectionAdmissionRefused: Error {}

extension HTTPServerBuilder {
    /// HTTP/1.1 on `configuration`, over TLS when `tls` is given, and with at most the
    /// connections `admission` admits open at once when it is given.
    public static func guardedHTTP1(
        configuration: HTTP1Channel.Configuration,
        admission: (any ConnectionAdmission)? = nil,
        tls: (@Sendable () -> NIOSSLContext)? = nil
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration), admission: admission, tls: tls)
        }
    }
}
