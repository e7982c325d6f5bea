import Hummingbird
import NIOCore

/// A request's context: where it came from (for the authentication throttle and the
/// audit log), and forms decoded as `application/x-www-form-urlencoded`.
public struct DashboardRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    public var requestDecoder: URLEncodedFormDecoder { URLEncodedFormDecoder() }

    /// The peer's IP address, as the rest of seatd writes addresses.
    var peerAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
