import SeatCore
import SeatProtocol
import Testing

/// Protocol version 2: what a version 1 peer is sent instead (`ServerMessage.spoken(in:)`)
/// and which version a Hello gets.
@Suite struct ProtocolVersionTests {
    static let grant = AcquireGrant(
        token: specToken, leaseExpiresAt: timestamp(1_000), heartbeatIntervalMilliseconds: 300, seatsTotal: 10, seatsInUse: 12,
        reattached: false, tier: "", licenseExpiresAt: nil, features: [:], overage: GrantOverage(overageSeats: 2, isOverage: true)
    )

    @Test func versionTwoRepliesAreSentAsTheyAre() {
        let messages: [ServerMessage] = [
            .acquired(Self.grant),
            .released(ReleaseResult(ended: true, seatsTotal: 10, seatsInUse: 11)),
            .error(ErrorReply(code: .noSeats, message: "full", detail: .noSeats(seatsTotal: 10, seatsInUse: 12, nextFreeAt: timestamp(5)))),
        ]
        for message in messages { #expect(message.spoken(in: 2) == message) }
    }

    /// notActive is not tied to a version: a peer of either version gets it as it is (a
    /// peer that does not know the code keeps its detail raw, protocol-spec.md 5.5).
    @Test func notActiveIsSpokenTheSameInEveryVersion() {
        let reply = ServerMessage.error(ErrorReply(code: .notActive, message: "standby", detail: .activeNode(address: "seat-b:7420")))
        for version in WireConstants.supportedVersions { #expect(reply.spoken(in: version) == reply) }
    }

    @Test func versionOneGetsNoOverageFieldsAndAtMostSeatsTotalInUse() {
        var expected = Self.grant
        expected.overage = nil
        expected.seatsInUse = 10
        #expect(ServerMessage.acquired(Self.grant).spoken(in: 1) == .acquired(expected))
        let validated = ValidateResult(status: .valid, tier: "", licenseExpiresAt: nil, features: [:], seatsTotal: 10, seatsInUse: 12, overageSeats: 2)
        #expect(ServerMessage.validated(validated).spoken(in: 1)
            == .validated(ValidateResult(status: .valid, tier: "", licenseExpiresAt: nil, features: [:], seatsTotal: 10, seatsInUse: 10)))
        #expect(ServerMessage.released(ReleaseResult(ended: true, seatsTotal: 10, seatsInUse: 11)).spoken(in: 1)
            == .released(ReleaseResult(ended: true, seatsTotal: 10, seatsInUse: 10)))
        let borrowed = BorrowGrant(token: specToken, expiresAt: timestamp(9), seatsTotal: 10, seatsInUse: 12, reattached: false, lease: [1, 2, 3])
        var borrowedForVersionOne = borrowed
        borrowedForVersionOne.seatsInUse = 10
        #expect(ServerMessage.borrowed(borrowed).spoken(in: 1) == .borrowed(borrowedForVersionOne))
        #expect(ServerMessage.borrowed(borrowed).spoken(in: 2) == .borrowed(borrowed))
        let noSeats = ErrorReply(code: .noSeats, message: "full", detail: .noSeats(seatsTotal: 10, seatsInUse: 12, nextFreeAt: timestamp(5)))
        #expect(ServerMessage.error(noSeats).spoken(in: 1)
            == .error(ErrorReply(code: .noSeats, message: "full", detail: .noSeats(seatsTotal: 10, seatsInUse: 10, nextFreeAt: timestamp(5)))))
        let denied = ErrorReply(code: .policyDenied, message: "max", detail: .policyDenied(reason: .overMax, limit: 1, seatsTotal: 2, seatsInUse: 3, reservedFreeSeats: 0))
        #expect(ServerMessage.error(denied).spoken(in: 1) == .error(ErrorReply(
            code: .policyDenied, message: "max", detail: .policyDenied(reason: .overMax, limit: 1, seatsTotal: 2, seatsInUse: 2, reservedFreeSeats: 0))))
    }

    @Test func versionOneQueueMessagesGetNoOverageFieldsAndAtMostSeatsTotalInUse() {
        let place = QueuePlace(position: 1, waiting: 2, seatsTotal: 10, seatsInUse: 12)
        let capped = QueuePlace(position: 1, waiting: 2, seatsTotal: 10, seatsInUse: 10)
        #expect(ServerMessage.queued(place).spoken(in: 1) == .queued(capped))
        #expect(ServerMessage.queuePosition(QueuePositionNotice(waitID: 7, place: place)).spoken(in: 1)
            == .queuePosition(QueuePositionNotice(waitID: 7, place: capped)))
        var grantForVersionOne = Self.grant
        grantForVersionOne.overage = nil
        grantForVersionOne.seatsInUse = 10
        #expect(ServerMessage.queueGranted(QueueGrantNotice(waitID: 7, grant: Self.grant)).spoken(in: 1)
            == .queueGranted(QueueGrantNotice(waitID: 7, grant: grantForVersionOne)))
        for message: ServerMessage in [.queued(place), .queueGranted(QueueGrantNotice(waitID: 7, grant: Self.grant))] {
            #expect(message.spoken(in: 2) == message)
        }
    }

    @Test func aVersionOneGrantEncodesWithoutTrailingBytes() throws {
        let frame = ServerFrame(requestID: 1, message: .acquired(Self.grant))
        let old = ServerFrame(requestID: 1, message: frame.message.spoken(in: 1))
        #expect(AnyFrame.server(frame).encoded.count == AnyFrame.server(old).encoded.count + 5)
    }

    @Test func helloNegotiatesTheNewestCommonVersion() {
        #expect(Hello(clientName: "new").negotiatedVersion() == 2)
        #expect(Hello(minimumVersion: 1, maximumVersion: 1, clientName: "old").negotiatedVersion() == 1)
        #expect(Hello(minimumVersion: 1, maximumVersion: 9, clientName: "newer").negotiatedVersion() == 2)
    }
}

@Suite struct ProtocolVersionTwoDecodingTests {
    @Test func bytesAfterTheVersionTwoFieldsAreMalformed() {
        let messages: [ServerMessage] = [
            .acquired(ProtocolVersionTests.grant),
            .queueGranted(QueueGrantNotice(waitID: 7, grant: ProtocolVersionTests.grant)),
            .validated(ValidateResult(status: .valid, tier: "", licenseExpiresAt: nil, features: [:], seatsTotal: 1, seatsInUse: 2, overageSeats: 1)),
        ]
        for message in messages {
            var extended = body(of: AnyFrame.server(ServerFrame(requestID: 42, message: message)).encoded)
            extended.writeInteger(UInt8(0))
            let error = #expect(throws: WireError.self) { _ = try ServerFrame(decoding: extended) }
            #expect(error?.code == .malformedMessage)
        }
    }

    @Test func aBadOverageFlagIsMalformed() {
        var bytes = AnyFrame.server(ServerFrame(requestID: 42, message: .acquired(ProtocolVersionTests.grant))).encoded
        bytes[bytes.count - 1] = 2
        let error = #expect(throws: WireError.self) { _ = try ServerFrame(decoding: body(of: bytes)) }
        #expect(error?.code == .malformedMessage)
    }
}
