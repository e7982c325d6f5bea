@testable import SeatClient
import SeatProtocol
import Testing

@Suite struct RevocationInboxTests {
    let notice = SessionRevokedNotice(token: tokenA, reason: .licenseDeleted, message: "license deleted")

    @Test func aPostWakesTheWaiterAndTakeAllEmptiesTheInbox() async {
        let inbox = RevocationInbox()
        let waiter = Task { await inbox.waitForNotice() }
        inbox.post(notice)
        await waiter.value
        #expect(inbox.takeAll() == [notice])
        #expect(inbox.takeAll().isEmpty)
    }

    @Test func waitingReturnsAtOnceWhenANoticeIsQueued() async {
        let inbox = RevocationInbox()
        inbox.post(notice)
        await inbox.waitForNotice()
        #expect(inbox.takeAll() == [notice])
    }

    @Test func cancellationEndsTheWait() async {
        let inbox = RevocationInbox()
        let waiter = Task { await inbox.waitForNotice() }
        waiter.cancel()
        await waiter.value
        #expect(inbox.takeAll().isEmpty)
    }
}
