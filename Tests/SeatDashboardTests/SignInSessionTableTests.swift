import SeatCore
import SeatDashboard
import Testing

/// Dashboard sign-ins on injected time and a seeded generator.
@Suite struct SignInSessionTableTests {
    /// A deterministic generator: each word one more than the last.
    struct Counting: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 1
            return state
        }
    }

    let start = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)

    @Test func aSessionLastsItsLifetimeAndNoLonger() {
        var table = SignInSessionTable(lifetimeMilliseconds: 60_000)
        var random = Counting(state: 1)
        let session = table.open(keyID: "00112233aabbccdd", now: start, using: &random)
        #expect(session.id == "00000000000000020000000000000003", "two whole 64-bit words of the generator: 128 bits")
        #expect(session.csrfToken == "00000000000000040000000000000005", "the token is drawn apart from the id")
        #expect(session.expiresAt == start.adding(milliseconds: 60_000))
        #expect(table.session(session.id, now: start.adding(milliseconds: 59_999)) == session)
        #expect(table.session(session.id, now: start.adding(milliseconds: 60_000)) == nil)
        #expect(table.count == 0, "an expired session is forgotten when found")
    }

    @Test func closingEndsOnlyThatSession() {
        var table = SignInSessionTable(lifetimeMilliseconds: 60_000)
        var random = Counting(state: 2)
        let first = table.open(keyID: "a", now: start, using: &random)
        let second = table.open(keyID: "b", now: start, using: &random)
        table.close(first.id)
        #expect(table.session(first.id, now: start) == nil)
        #expect(table.session(second.id, now: start)?.keyID == "b")
        #expect(table.session("not-a-session", now: start) == nil)
    }

    @Test func aFullTableDropsExpiredThenSoonestExpiring() {
        var table = SignInSessionTable(lifetimeMilliseconds: 60_000, capacity: 2)
        var random = Counting(state: 3)
        let old = table.open(keyID: "old", now: start, using: &random)
        let newer = table.open(keyID: "newer", now: start.adding(milliseconds: 30_000), using: &random)
        let third = table.open(keyID: "third", now: start.adding(milliseconds: 40_000), using: &random)
        #expect(table.count == 2)
        #expect(table.session(old.id, now: start.adding(milliseconds: 40_000)) == nil, "the one expiring soonest made room")
        #expect(table.session(newer.id, now: start.adding(milliseconds: 40_000)) != nil)
        #expect(table.session(third.id, now: start.adding(milliseconds: 40_000)) != nil)
    }

    @Test func idsDoNotRepeat() {
        var table = SignInSessionTable(lifetimeMilliseconds: 60_000)
        var random = Counting(state: 4)
        let ids = (0..<500).map { _ in table.open(keyID: "k", now: start, using: &random).id }
        #expect(Set(ids).count == 500)
    }
}

@Suite struct CSRFAndCookieTests {
    @Test func onlyTheExactTokenMatches() {
        let token = "0123456789abcdef0123456789abcdef"
        #expect(CSRFToken.matches(token, expected: token))
        #expect(!CSRFToken.matches(nil, expected: token))
        #expect(!CSRFToken.matches("", expected: token))
        #expect(!CSRFToken.matches(String(token.dropLast()), expected: token))
        #expect(!CSRFToken.matches(String(token.dropLast()) + "0", expected: token))
        #expect(!CSRFToken.matches("", expected: ""), "an empty expected token never matches")
    }

    @Test func theCookieIsHttpOnlyStrictAndSecureOnlyOverTLS() {
        #expect(SessionCookie.setCookie("abc", maxAgeSeconds: 600, secure: false) == "seatd_session=abc; Path=/; Max-Age=600; HttpOnly; SameSite=Strict")
        #expect(SessionCookie.setCookie("abc", maxAgeSeconds: 600, secure: true) == "seatd_session=abc; Path=/; Max-Age=600; HttpOnly; SameSite=Strict; Secure")
        #expect(SessionCookie.clearCookie(secure: true) == "seatd_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure")
    }

    @Test func theSessionIsFoundAmongOtherCookies() {
        #expect(SessionCookie.sessionID(inCookieHeader: "theme=dark; seatd_session=abc123; x=y") == "abc123")
        #expect(SessionCookie.sessionID(inCookieHeader: "seatd_session=") == nil)
        #expect(SessionCookie.sessionID(inCookieHeader: "seatd_sessionx=abc") == nil)
        #expect(SessionCookie.sessionID(inCookieHeader: nil) == nil)
    }
}
