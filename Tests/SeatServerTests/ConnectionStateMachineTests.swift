import SeatCore
@testable import SeatServer
import SeatProtocol
import Testing

@Suite struct ConnectionStateMachineTests {
    let info = ConnectionStateMachine.ServerInfo(maximumFrameBytes: 65_536, leaseMilliseconds: 360_000, heartbeatIntervalMilliseconds: 120_000, serverName: "test")

    func hello(_ minimum: UInt16, _ maximum: UInt16, id: UInt32 = 1) -> Result<ClientFrame, WireError> {
        .success(ClientFrame(requestID: id, message: .hello(Hello(minimumVersion: minimum, maximumVersion: maximum, clientName: "c"))))
    }

    @Test func helloNegotiatesTheHighestCommonVersion() {
        var machine = ConnectionStateMachine(info: info)
        let action = machine.received(hello(1, 5))
        #expect(action == .reply(ServerFrame(requestID: 1, message: .helloAccepted(HelloAccepted(
            version: 1, maximumFrameBytes: 65_536, leaseMilliseconds: 360_000, heartbeatIntervalMilliseconds: 120_000, serverName: "test")))))
        #expect(machine.negotiatedVersion == 1)
    }

    @Test(arguments: [(2, 3), (0, 0), (3, 1)] as [(UInt16, UInt16)])
    func helloWithoutACommonVersionIsRefusedAndClosed(minimum: UInt16, maximum: UInt16) {
        var machine = ConnectionStateMachine(info: info)
        guard case .replyAndClose(let frame) = machine.received(hello(minimum, maximum)), case .error(let reply) = frame.message else {
            Issue.record("expected an error and close")
            return
        }
        #expect(reply.code == .unsupportedVersion)
        #expect(reply.detail == .supportedVersions(minimum: 1, maximum: 1))
        #expect(machine.negotiatedVersion == nil)
    }

    @Test func requestBeforeHelloClosesWithHelloRequired() {
        var machine = ConnectionStateMachine(info: info)
        let action = machine.received(.success(ClientFrame(requestID: 4, message: .validate(licenseKey: "K"))))
        guard case .replyAndClose(let frame) = action, case .error(let reply) = frame.message else {
            Issue.record("expected close")
            return
        }
        #expect(frame.requestID == 4)
        #expect(reply.code == .helloRequired)
    }

    @Test func undecodableFirstFrameClosesButLaterOnesOnlyAnswer() {
        var machine = ConnectionStateMachine(info: info)
        let error = WireError(code: .invalidUTF8, requestID: 9, reason: "bad")
        #expect(machine.received(.failure(error)) == .replyAndClose(ConnectionStateMachine.error(error)))

        var established = ConnectionStateMachine(info: info)
        _ = established.received(hello(1, 1))
        #expect(established.received(.failure(error)) == .reply(ConnectionStateMachine.error(error)))
        #expect(ConnectionStateMachine.error(error).requestID == 9)
        #expect(ConnectionStateMachine.error(WireError(code: .frameTooLarge, requestID: nil, reason: "x")).requestID == 0)
    }

    @Test func requestsAfterHelloAreDispatchedAndASecondHelloIsRefused() {
        var machine = ConnectionStateMachine(info: info)
        _ = machine.received(hello(1, 1))
        var random = SystemRandomNumberGenerator()
        let token = SessionToken.random(using: &random)
        #expect(machine.received(.success(ClientFrame(requestID: 2, message: .heartbeat(token)))) == .dispatch(requestID: 2, .heartbeat(token)))
        guard case .reply(let frame) = machine.received(hello(1, 1, id: 3)), case .error(let reply) = frame.message else {
            Issue.record("expected an error reply")
            return
        }
        #expect(reply.code == .unexpectedMessage)
        #expect(machine.negotiatedVersion == 1)
    }
}
