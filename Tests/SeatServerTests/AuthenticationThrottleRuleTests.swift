import Foundation
import SeatCore
import SeatProtocol
@testable import SeatServer
import SeatStorage
import Testing

/// The throttle stops attackers, not users, through the dispatcher on the manual clock:
/// failures of other keys never lock out a valid key, many addresses share one global
/// budget, and throttled attempts are counted, not written one by one.
@Suite struct AuthenticationThrottleRuleTests {
    @Test func badKeysFromAnAddressDoNotLockOutAValidKeyFromThatAddress() async throws {
        let seats = try await SeatServiceFixture(licenses: [])
        defer { seats.remove() }
        let (dispatcher, access) = try seats.dispatcher(throttleLimit: 3, globalThrottleLimit: 1_000)
        _ = try await access.addTenant(id: "acme", name: "")
        let (_, valid) = try await access.createKey(tenant: "acme", role: .client, label: "")
        let (other, _) = try await access.createKey(tenant: "acme", role: .client, label: "")
        let wrongSecretOfOther = "seatd_\(other.id)_" + String(repeating: "A", count: 43)
        let unknown = "seatd_0123456789abcdef_" + String(repeating: "A", count: 43)

        func authenticate(_ key: String) async -> ServerMessage {
            await dispatcher.respond(to: .authenticate(accessKey: key), on: testLink(principal: nil, peer: "10.0.0.5").0).reply
        }
        // 33 bad keys of every sort from the valid key's address.
        for number in 0..<33 {
            _ = await authenticate([unknown, "not-a-key", wrongSecretOfOther][number % 3])
            seats.advance(milliseconds: 1_000)
        }
        #expect(await authenticate(unknown).errorCode == .authenticationThrottled)
        #expect(await authenticate(wrongSecretOfOther).errorCode == .authenticationThrottled)
        for _ in 0..<10 {
            guard case .authenticated = await authenticate(valid) else {
                Issue.record("the valid key was locked out by other keys' failures")
                return
            }
        }
        // Wrong secrets for the valid key's own id throttle that key from that address only.
        let wrongSecretOfValid = String(valid.prefix("seatd_".count + 17)) + String(repeating: "B", count: 43)
        for _ in 0..<3 { #expect(await authenticate(wrongSecretOfValid).errorCode == .authenticationFailed) }
        #expect(await authenticate(valid).errorCode == .authenticationThrottled)
        let elsewhere = await dispatcher.respond(to: .authenticate(accessKey: valid), on: testLink(principal: nil, peer: "10.0.0.6").0).reply
        guard case .authenticated = elsewhere else {
            Issue.record("another address was throttled for this address's failures: \(elsewhere)")
            return
        }
    }

    @Test func manyAddressesShareOneGlobalBudget() async throws {
        let seats = try await SeatServiceFixture(licenses: [])
        defer { seats.remove() }
        let (dispatcher, access) = try seats.dispatcher(throttleLimit: 10, globalThrottleLimit: 30)
        _ = try await access.addTenant(id: "acme", name: "")
        let (_, valid) = try await access.createKey(tenant: "acme", role: .client, label: "")
        let unknown = "seatd_0123456789abcdef_" + String(repeating: "A", count: 43)
        func authenticate(_ key: String, from address: String) async -> ServerMessage {
            await dispatcher.respond(to: .authenticate(accessKey: key), on: testLink(principal: nil, peer: address).0).reply
        }
        // 30 loopback addresses, each well below its own limit.
        var failed = 0
        for number in 0..<30 {
            for _ in 0..<3 {
                if await authenticate(unknown, from: "127.0.0.\(number + 2)").errorCode == .authenticationFailed { failed += 1 }
            }
        }
        #expect(failed == 30, "the global budget ends the guessing, not each address's own limit")
        let fresh = await authenticate(unknown, from: "127.0.1.1")
        guard case .error(let error) = fresh, case .retryAfter(let wait) = error.detail else {
            Issue.record("a fresh address was not throttled past the global budget: \(fresh)")
            return
        }
        #expect(error.code == .authenticationThrottled && (1...60_000).contains(wait))
        // An existing key is still checked everywhere.
        guard case .authenticated = await authenticate(valid, from: "127.0.1.2") else {
            Issue.record("the global budget locked out a valid key")
            return
        }
        seats.advance(milliseconds: 60_000)
        #expect(await authenticate(unknown, from: "127.0.1.1").errorCode == .authenticationFailed, "the budget opens with the next window")
    }

    @Test func throttledAttemptsAreCountedNotWrittenOneByOne() async throws {
        let seats = try await SeatServiceFixture(licenses: [])
        defer { seats.remove() }
        let audit = AuditLog(store: seats.store, aggregationWindowSeconds: 60)
        let (dispatcher, _) = try seats.dispatcher(throttleLimit: 3, audit: audit)
        for _ in 0..<1_000 {
            _ = await dispatcher.respond(to: .authenticate(accessKey: "not-a-key"), on: testLink(principal: nil, peer: "10.0.0.7").0)
        }
        seats.advance(milliseconds: 60_000)
        audit.flushEndedWindow(at: seats.clock.now())
        try await seats.store.flush()
        let events = try seats.store.auditEvents(AuditQuery(kinds: [.authFailure])).events
        #expect(events.map(\.detail) == ["malformed key", "throttled"])
        #expect(events.map(\.aggregate?.count) == [3, 997])
        #expect(events.allSatisfy { $0.address == "10.0.0.7" })
    }
}
