import Foundation
import SeatCore
import SeatProtocol
import Testing

/// Speaks the protocol frame by frame over a RawConnection, keeping server-initiated
/// frames (request id 0) apart from replies, so tests can see pushes and closes exactly.
final class ProtocolProbe: @unchecked Sendable {
    let raw: RawConnection
    private var nextID: UInt32 = 1
    /// Server-initiated frames seen so far, in order.
    private(set) var pushes: [ServerMessage] = []
    private(set) var closed = false

    init(_ raw: RawConnection) {
        self.raw = raw
    }

    /// Client port over TLS, Hello done (`hello`: the newest version by default),
    /// optionally authenticated.
    static func client(_ daemon: DaemonProcess, accessKey: String? = nil, hello: Hello = Hello(clientName: "probe")) async throws -> ProtocolProbe {
        let probe = ProtocolProbe(try await RawConnection.connect(port: daemon.port, caFile: daemon.caFile))
        let hello = try await probe.request(.hello(hello))
        guard case .helloAccepted = hello else { throw ProbeError("Hello refused: \(hello)") }
        if let accessKey {
            let reply = try await probe.request(.authenticate(accessKey: accessKey))
            guard case .authenticated = reply else { throw ProbeError("Authenticate refused: \(reply)") }
        }
        return probe
    }

    /// The admin socket, Hello done.
    static func admin(_ daemon: DaemonProcess) async throws -> ProtocolProbe {
        // The admin socket is bound alongside the client port; its mode is set right after.
        try await daemon.waitForLog(containing: "msg=\"admin socket listening\"")
        let probe = ProtocolProbe(try await RawConnection.connect(unixSocketPath: daemon.stateDirectory + "/admin.sock"))
        let hello = try await probe.request(.hello(Hello(clientName: "probe-admin")))
        guard case .helloAccepted = hello else { throw ProbeError("Hello refused: \(hello)") }
        return probe
    }

    /// Sends `message` and returns its reply; pushes that arrive first are kept in `pushes`.
    func request(_ message: ClientMessage, timeout: Duration = .seconds(10)) async throws -> ServerMessage {
        let id = nextID
        nextID += 1
        try await raw.write(ClientFrame(requestID: id, message: message))
        while true {
            switch await raw.next(timeout: timeout) {
            case .frame(let frame) where frame.requestID == id:
                return frame.message
            case .frame(let frame) where frame.requestID == WireConstants.serverPushRequestID:
                pushes.append(frame.message)
            case .frame(let frame):
                throw ProbeError("reply for request \(frame.requestID) while waiting for \(id)")
            case .closed:
                closed = true
                throw ProbeError("connection closed")
            case .undecodable:
                throw ProbeError("undecodable frame")
            case nil:
                throw ProbeError("no reply within \(timeout)")
            }
        }
    }

    /// The next server-initiated frame (or a close), waiting up to `timeout`.
    func nextPush(timeout: Duration = .seconds(5)) async -> ServerMessage? {
        if !pushes.isEmpty { return pushes.removeFirst() }
        switch await raw.next(timeout: timeout) {
        case .frame(let frame) where frame.requestID == WireConstants.serverPushRequestID: return frame.message
        case .closed: closed = true; return nil
        default: return nil
        }
    }

    /// Whether the server closes the connection within `timeout`.
    func isClosedByServer(timeout: Duration = .seconds(5)) async -> Bool {
        if closed { return true }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch await raw.next(timeout: .milliseconds(200)) {
            case .closed: closed = true; return true
            case .frame(let frame): pushes.append(frame.message)
            default: continue
            }
        }
        return false
    }

    /// An admin request; returns the reply object or throws the Error reply.
    func admin(_ object: [String: Any]) async throws -> [String: Any] {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        switch try await request(.admin(AdminRequest(json: json))) {
        case .adminReply(let reply):
            return try #require(try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any])
        case .error(let error):
            throw error
        case let other:
            throw ProbeError("unexpected reply \(other)")
        }
    }

    func acquire(_ licenseKey: String, user: String = "ana", host: String = "ws-1", hardwareID: String? = nil) async throws -> ServerMessage {
        try await request(.acquire(AcquireRequest(licenseKey: licenseKey, user: user, hostname: host, hardwareID: hardwareID ?? "hw-\(user)", clientVersion: "test")))
    }

    func close() async {
        await raw.close()
    }
}

extension ServerMessage {
    /// The error code, if this is an Error reply.
    var errorCode: ErrorCode? {
        if case .error(let reply) = self { return reply.code }
        return nil
    }

    var grant: AcquireGrant? {
        if case .acquired(let grant) = self { return grant }
        return nil
    }
}
