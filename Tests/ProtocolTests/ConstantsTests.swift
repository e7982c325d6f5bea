import SeatProtocol
import Testing

@Suite("Constants and helpers")
struct ConstantsTests {
    @Test func errorCodesAreStable() {
        let expected: [UInt16] = [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 102, 103, 104, 105, 110, 111, 112, 113,
            120, 121, 122, 130, 131, 132, 133, 134, 200, 201, 202, 203, 204,
        ]
        #expect(ErrorCode.allCases.map(\.rawValue) == expected)
        #expect(ErrorCode.allCases.filter(\.isRetryable) == [
            .idleTimeout, .noSeats, .authenticationThrottled, .storageFull, .storageFailure, .shuttingDown, .internalError, .notActive,
        ])
    }

    @Test func policyDenialReasonsAreStable() {
        #expect(PolicyDenialReason.allCases.map(\.rawValue) == [1, 2, 3, 4, 128, 129])
        #expect(PolicyDenialReason.allCases.filter(\.isWorthWaiting) == [.overMax, .reservedForOthers, .overBorrowMax])
    }

    @Test func wireConstants() {
        #expect(WireConstants.magic == 0x5345_4154)
        #expect(Array("SEAT".utf8) == [0x53, 0x45, 0x41, 0x54])
        #expect(WireConstants.currentVersion == 2)
        #expect(WireConstants.supportedVersions == 1...2)
        #expect(WireConstants.serverPushRequestID == 0)
    }

    @Test func versionNegotiationPicksTheNewestCommonVersion() {
        #expect(Hello(clientName: "").negotiatedVersion() == 2)
        #expect(Hello(minimumVersion: 1, maximumVersion: 5, clientName: "").negotiatedVersion(serverSupports: 2...3) == 3)
        #expect(Hello(minimumVersion: 3, maximumVersion: 5, clientName: "").negotiatedVersion(serverSupports: 1...3) == 3)
        #expect(Hello(minimumVersion: 3, maximumVersion: 5, clientName: "").negotiatedVersion() == nil)
        #expect(Hello(minimumVersion: 0, maximumVersion: 0, clientName: "").negotiatedVersion() == nil)
    }

    @Test func errorReplyCodes() {
        #expect(ErrorReply(code: .noSeats, message: "").rawCode == 104)
        #expect(ErrorReply(rawCode: 104, message: "").code == .noSeats)
        #expect(ErrorReply(rawCode: 105, message: "").code == .policyDenied)
        #expect(ErrorReply(rawCode: 106, message: "").code == nil)
        let error = WireError(code: .invalidField, requestID: 3, reason: "user is 0 bytes")
        #expect(error.errorReply == ErrorReply(code: .invalidField, message: "user is 0 bytes"))
    }
}
