@testable import SeatClient
import SeatCore
import SeatProtocol
import Testing

/// A `policyDenied` refusal: waited out like a shortage when waiting can help, final when
/// only the policy's owner can change it, and explained to the user as a sentence.
@Suite struct PolicyDenialTests {
    static func denied(_ reason: PolicyDenialReason, limit: UInt32 = 0, reserved: UInt32 = 0) -> ErrorReply {
        ErrorReply(code: .policyDenied, message: "policy", detail: .policyDenied(reason: reason, limit: limit, seatsTotal: 5, seatsInUse: 3, reservedFreeSeats: reserved))
    }

    @Test func overMaxAndReservedForOthersAreWaitedForLikeAShortage() {
        #expect(ReplyDisposition(Self.denied(.overMax, limit: 2)) == .noSeats(seatsTotal: 5, seatsInUse: 3, nextFreeAt: nil))
        #expect(ReplyDisposition(Self.denied(.reservedForOthers, reserved: 2)) == .noSeats(seatsTotal: 5, seatsInUse: 3, nextFreeAt: nil))
    }

    @Test func excludedAndNotIncludedMakeTheLicenseUnusable() {
        #expect(ReplyDisposition(Self.denied(.excluded)) == .licenseUnusable)
        #expect(ReplyDisposition(Self.denied(.notIncluded)) == .licenseUnusable)
        #expect(ReplyDisposition(ErrorReply(code: .policyDenied, message: "a newer reason", detail: .raw([9]))) == .licenseUnusable)
    }

    @Test func anExcludedUserFailsTheStartEvenWhenWaiting() {
        var machine = makeMachine(waitForSeat: .seconds(60))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.connected(server: 0, lease: testLease), now: at(0))
        _ = machine.nextAction(now: at(0))
        _ = machine.handle(.requestFailed(.server(Self.denied(.excluded))), now: at(0))
        #expect(machine.start == .failed(.server(Self.denied(.excluded))))
    }

    @Test func eachReasonReadsAsASentence() {
        #expect(Self.denied(.excluded).detail.policySentence == "The site policy excludes this user or host from the license.")
        #expect(Self.denied(.notIncluded).detail.policySentence == "The site policy allows this license only to listed users and hosts, and this one is not listed.")
        #expect(Self.denied(.overMax, limit: 1).detail.policySentence == "The site policy allows at most 1 seat of this license, and all are in use; release one first.")
        #expect(Self.denied(.overMax, limit: 3).detail.policySentence == "The site policy allows at most 3 seats of this license, and all are in use; release one first.")
        #expect(Self.denied(.reservedForOthers, reserved: 1).detail.policySentence == "The 1 free seat is reserved by the site policy for other users or hosts.")
        #expect(Self.denied(.reservedForOthers, reserved: 2).detail.policySentence == "The 2 free seats are reserved by the site policy for other users or hosts.")
        #expect(ErrorDetail.none.policySentence == nil)
    }
}
