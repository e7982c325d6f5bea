import Logging
import SeatCore
import SeatProtocol
@testable import SeatServer
import Testing

@Suite struct SeatEventLogTests {
    func at(_ milliseconds: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: 1_000_000 + milliseconds) }

    @Test func aBudgetOfLinesPerSecondSaysHowManyItLeftOut() {
        var budget = LineBudget(perSecond: 2)
        #expect(budget.admit(at: at(0)) == .log(suppressed: 0))
        #expect(budget.admit(at: at(10)) == .log(suppressed: 0))
        #expect(budget.admit(at: at(20)) == .suppress)
        #expect(budget.admit(at: at(999)) == .suppress)
        #expect(budget.admit(at: at(1_000)) == .log(suppressed: 2), "a new second, and the two left out")
        #expect(budget.admit(at: at(1_001)) == .log(suppressed: 0))
    }

    func logged(enabled: Bool, _ body: (SeatEventLog) -> Void) -> [String] {
        let lines = LogLines()
        var logger = Logger(label: "test") { _ in lines }
        logger.logLevel = .info
        body(SeatEventLog(enabled: enabled, logger: logger))
        return lines.messages
    }

    let session = Session(
        token: SessionToken(bytes: [UInt8](repeating: 7, count: 16))!, licenseKey: "CAD", user: "ana", hostname: "ws-1", hardwareID: "hw",
        clientVersion: "1", clientAddress: "10.0.0.5", createdAt: Timestamp(millisecondsSinceEpoch: 0), lastHeartbeatAt: Timestamp(millisecondsSinceEpoch: 0),
        leaseExpiresAt: Timestamp(millisecondsSinceEpoch: 360_000))

    @Test func storedGrantsReleasesAndExpiriesAreLinesAtInfo() {
        let lines = logged(enabled: true) { log in
            log.committed([
                .grant(session, tenant: "acme", overage: true), .release(session, tenant: "acme", at: at(5)), .expiry(session, tenant: "acme", at: at(6)),
                .admin("license.suspend CAD", tenant: "acme", user: "unix:root (uid 0)", address: "local", at: at(7)),
            ])
        }
        #expect(lines.count == 3, "admin actions have lines of their own: \(lines)")
        #expect(lines[0].hasPrefix("seat granted ") && lines[0].contains("license=CAD") && lines[0].contains("user=ana") && lines[0].contains("host=ws-1") && lines[0].contains("tenant=acme"))
        #expect(lines[0].contains("overage"), "an overage grant says so in its line: \(lines[0])")
        #expect(lines[1].hasPrefix("seat released "))
        #expect(lines[2].hasPrefix("seat expired "))
    }

    @Test func denialsSayWhyAndAreBudgeted() {
        let request = SeatRequest(licenseKey: "CAD", user: "ben", hostname: "ws-2", hardwareID: "hw2", clientVersion: "1", clientAddress: "10.0.0.6")
        let refusal = ErrorReply(code: .noSeats, message: "all 5 seats are in use")
        let lines = logged(enabled: true) { log in
            for index in 0..<(SeatEventLog.linesPerSecond + 5) { log.denied(request, tenant: "acme", reply: refusal, at: at(Int64(index))) }
            log.denied(request, tenant: "acme", reply: refusal, at: at(1_500))
            log.authenticationFailed(address: "10.0.0.9", reason: "unknown key", at: at(0))
        }
        #expect(lines.count == SeatEventLog.linesPerSecond + 2)
        #expect(lines[0].hasPrefix("seat denied ") && lines[0].contains("reason=noSeats") && lines[0].contains("user=ben"))
        #expect(lines[SeatEventLog.linesPerSecond].contains("not_logged_before=5"))
        #expect(lines.last?.hasPrefix("authentication failed ") == true && lines.last?.contains("address=10.0.0.9") == true)
    }

    @Test func oneSwitchTurnsThemAllOff() {
        let request = SeatRequest(licenseKey: "CAD", user: "ben", hostname: "ws-2", hardwareID: "hw2", clientVersion: "1")
        #expect(logged(enabled: false) { log in
            log.committed([.grant(session, tenant: "acme", overage: false)])
            log.denied(request, tenant: "acme", reply: ErrorReply(code: .noSeats, message: "full"), at: at(0))
            log.authenticationFailed(address: "a", reason: "r", at: at(0))
        }.isEmpty)
        #expect(logged(enabled: false) { log in
            log.setEnabled(true)
            log.committed([.grant(session, tenant: "acme", overage: false)])
        }.count == 1, "and on again at a reload")
    }
}
