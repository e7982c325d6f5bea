@testable import SeatClient
import SeatProtocol
import Testing

@Suite struct LeaseInboxTests {
    let notice = SessionRevokedNotice(token: tokenA, reason: .licenseDeleted, message: "license deleted")

    @Test func aPostWakesTheWaiterAndTakeAllEmptiesTheInbox() async {
        let inbox = LeaseInbox()
        let waiter = Task { await inbox.waitForEvent() }
        inbox.post(.revoked(notice))
        await waiter.value
        #expect(inbox.takeAll() == [.revoked(notice)])
        #expect(inbox.takeAll().isEmpty)
    }

    @Test func waitingReturnsAtOnceWhenANoticeIsQueued() async {
        let inbox = LeaseInbox()
        inbox.post(.revoked(notice))
        await inbox.waitForEvent()
        #expect(inbox.takeAll() == [.revoked(notice)])
    }

    @Test func eventsComeOutInOrder() {
        let inbox = LeaseInbox()
        inbox.post(.closed(connection: 7))
        inbox.post(.revoked(notice))
        #expect(inbox.takeAll() == [.closed(connection: 7), .revoked(notice)])
    }

    @Test func cancellationEndsTheWait() async {
        let inbox = LeaseInbox()
        let waiter = Task { await inbox.waitForEvent() }
        waiter.cancel()
        await waiter.value
        #expect(inbox.takeAll().isEmpty)
    }
}
