import SeatProtocol

/// The protocol rules of one connection, without I/O: Hello first, version negotiation,
/// then requests. The channel code feeds it decoded frames and does what it says.
struct ConnectionStateMachine {
    struct ServerInfo: Equatable {
        var maximumFrameBytes: UInt32
        var leaseMilliseconds: UInt32
        var heartbeatIntervalMilliseconds: UInt32
        var serverName: String
    }

    enum Action: Equatable {
        case reply(ServerFrame)
        case replyAndClose(ServerFrame)
        case dispatch(requestID: UInt32, ClientMessage)
    }

    private enum State {
        case awaitingHello
        case established(version: UInt16)
    }

    private var state = State.awaitingHello
    private let info: ServerInfo

    init(info: ServerInfo) {
        self.info = info
    }

    var negotiatedVersion: UInt16? {
        if case .established(let version) = state { return version }
        return nil
    }

    mutating func received(_ decoded: Result<ClientFrame, WireError>) -> Action {
        switch (state, decoded) {
        case (.awaitingHello, .failure(let error)):
            return .replyAndClose(Self.error(error))
        case (.awaitingHello, .success(let frame)):
            guard case .hello(let hello) = frame.message else {
                return .replyAndClose(ServerFrame(requestID: frame.requestID, message: .error(ErrorReply(code: .helloRequired, message: "the first message must be Hello"))))
            }
            return negotiate(hello, requestID: frame.requestID)
        case (.established, .failure(let error)):
            return .reply(Self.error(error))
        case (.established, .success(let frame)):
            if case .hello = frame.message {
                return .reply(ServerFrame(requestID: frame.requestID, message: .error(ErrorReply(code: .unexpectedMessage, message: "Hello was already received"))))
            }
            return .dispatch(requestID: frame.requestID, frame.message)
        }
    }

    private mutating func negotiate(_ hello: Hello, requestID: UInt32) -> Action {
        let supported = WireConstants.supportedVersions
        let highest = min(hello.maximumVersion, supported.upperBound)
        guard hello.minimumVersion <= hello.maximumVersion, highest >= max(hello.minimumVersion, supported.lowerBound) else {
            let reply = ErrorReply(
                code: .unsupportedVersion,
                message: "this server speaks protocol versions \(supported.lowerBound)...\(supported.upperBound)",
                detail: .supportedVersions(minimum: supported.lowerBound, maximum: supported.upperBound)
            )
            return .replyAndClose(ServerFrame(requestID: requestID, message: .error(reply)))
        }
        state = .established(version: highest)
        return .reply(ServerFrame(requestID: requestID, message: .helloAccepted(HelloAccepted(
            version: highest,
            maximumFrameBytes: info.maximumFrameBytes,
            leaseMilliseconds: info.leaseMilliseconds,
            heartbeatIntervalMilliseconds: info.heartbeatIntervalMilliseconds,
            serverName: info.serverName
        ))))
    }

    /// An error reply for a frame that did not decode; id 0 when its request id was unreadable.
    static func error(_ error: WireError) -> ServerFrame {
        ServerFrame(requestID: error.requestID ?? WireConstants.serverPushRequestID, message: .error(ErrorReply(code: error.code, message: error.reason)))
    }
}
