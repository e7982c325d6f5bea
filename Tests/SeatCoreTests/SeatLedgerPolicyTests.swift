import SeatCore
import Testing

/// The site policy as the ledger applies it at acquire (precedence EXCLUDE > RESERVE >
/// MAX > INCLUDE, reservations with their accounting, maxima per user, group and host).
@Suite("SeatLedger: site policy")
struct SeatLedgerPolicyTests {
    /// A ledger judged by one policy file; each acquire confirms its grant.
    struct PolicyHarness {
        var ledger: SeatLedger
        var rules: LicenseRules
        var now = ts(0)
        var nextToken: UInt64 = 1

        init(seats: Int, policy: String) throws {
            ledger = SeatLedger(license: license(seats: seats))
            rules = try SitePolicyParser.parse(policy, file: "test.policy").rules(for: ledger.license)
        }

        mutating func acquire(_ user: String, host: String = "host", hw: String? = nil) -> AcquireDecision {
            let decision = ledger.acquire(request(user, hw: hw ?? "hw-\(user)-\(host)", host: host), now: now, policy: testPolicy, rules: rules) {
                defer { nextToken += 1 }
                return token(nextToken)
            }
            if let granted = decision.granted { ledger.confirmGrant(granted.session.token, reclaimed: granted.reclaimed.map(\.token)) }
            return decision
        }

        mutating func release(_ session: Session) {
            _ = ledger.beginEnd(session.token, reason: .released)
            ledger.finishEnd([session.token])
        }

        func policyRefusal(_ refusal: PolicyRefusal) -> AcquireRefusal {
            .policy(refusal, seatsTotal: ledger.seatsTotal, seatsInUse: ledger.seatsInUse)
        }
    }

    let eng = PolicyPrincipal.group("eng", members: ["alice", "bob"])

    // MARK: exclude and include

    @Test("an excluded user is refused, even with a reservation and free seats (EXCLUDE > RESERVE)")
    func excludedOverReserve() throws {
        var h = try PolicyHarness(seats: 3, policy: "reserve 2 LIC-1 user mallory\nexclude LIC-1 user mallory")
        #expect(h.acquire("mallory").refusal == h.policyRefusal(.excluded(.user("mallory"))))
        #expect(h.ledger.seatsInUse == 0)
        #expect(h.acquire("alice").granted != nil)
    }

    @Test("a host is excluded by its hostname or its hardware id, a host group by either of its members")
    func excludedHosts() throws {
        var h = try PolicyHarness(seats: 5, policy: "exclude LIC-1 host kiosk\nhost_group lab lab-1 hw-lab-2\nexclude LIC-1 host_group lab")
        #expect(h.acquire("a", host: "kiosk").refusal == h.policyRefusal(.excluded(.host("kiosk"))))
        #expect(h.acquire("a", host: "ws", hw: "kiosk").refusal == h.policyRefusal(.excluded(.host("kiosk"))))
        let lab = PolicyPrincipal.hostGroup("lab", members: ["lab-1", "hw-lab-2"])
        #expect(h.acquire("a", host: "lab-1").refusal == h.policyRefusal(.excluded(lab)))
        #expect(h.acquire("a", host: "ws", hw: "hw-lab-2").refusal == h.policyRefusal(.excluded(lab)))
        #expect(h.acquire("a", host: "ws").granted != nil)
    }

    @Test("an excluded group keeps out its members only")
    func excludedGroup() throws {
        var h = try PolicyHarness(seats: 5, policy: "group eng alice bob\nexclude LIC-1 group eng")
        #expect(h.acquire("bob").refusal == h.policyRefusal(.excluded(eng)))
        #expect(h.acquire("carol").granted != nil)
    }

    @Test("with include rules only included users and hosts get a seat; exclude still wins over include")
    func includeOnly() throws {
        var h = try PolicyHarness(seats: 5, policy: "group eng alice bob\ninclude LIC-1 group eng\ninclude LIC-1 host lab-1\nexclude LIC-1 user bob")
        #expect(h.acquire("carol").refusal == h.policyRefusal(.notIncluded))
        #expect(h.acquire("alice").granted != nil)
        #expect(h.acquire("carol", host: "lab-1").granted != nil)
        #expect(h.acquire("bob").refusal == h.policyRefusal(.excluded(.user("bob"))))
    }

    @Test("a reservation lets its owner in although no include names it (RESERVE > INCLUDE)")
    func reserveOverInclude() throws {
        var h = try PolicyHarness(seats: 3, policy: "include LIC-1 user alice\nreserve 1 LIC-1 user dave")
        #expect(h.acquire("dave").granted != nil)
        #expect(h.acquire("erin").refusal == h.policyRefusal(.notIncluded))
    }

    @Test("a refusal that a free seat would not cure names the policy even on a full license")
    func policyBeforeShortage() throws {
        var h = try PolicyHarness(seats: 1, policy: "include LIC-1 user alice\ninclude LIC-1 user bob\nmax 1 LIC-1 user bob")
        #expect(h.acquire("bob").granted != nil)
        #expect(h.acquire("carol").refusal == h.policyRefusal(.notIncluded))
        #expect(h.acquire("bob", host: "other").refusal == h.policyRefusal(.overMax(limit: 1, principal: .user("bob"))))
        #expect(h.acquire("alice").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
    }

    // MARK: max

    @Test("max per user counts the user's sessions on every host")
    func maxPerUser() throws {
        var h = try PolicyHarness(seats: 5, policy: "max 2 LIC-1 user alice")
        let first = try #require(h.acquire("alice", host: "a").granted).session
        #expect(h.acquire("alice", host: "b").granted != nil)
        #expect(h.acquire("alice", host: "c").refusal == h.policyRefusal(.overMax(limit: 2, principal: .user("alice"))))
        #expect(h.acquire("bob").granted != nil)
        h.release(first)
        #expect(h.acquire("alice", host: "c").granted != nil)
    }

    @Test("max per group counts every member's sessions")
    func maxPerGroup() throws {
        var h = try PolicyHarness(seats: 5, policy: "group eng alice bob\nmax 2 LIC-1 group eng")
        #expect(h.acquire("alice").granted != nil)
        #expect(h.acquire("bob").granted != nil)
        #expect(h.acquire("alice", host: "other").refusal == h.policyRefusal(.overMax(limit: 2, principal: eng)))
        #expect(h.acquire("carol").granted != nil)
    }

    @Test("max per host counts the sessions on that host, by hostname or hardware id")
    func maxPerHost() throws {
        var h = try PolicyHarness(seats: 5, policy: "max 1 LIC-1 host shared")
        #expect(h.acquire("alice", host: "shared").granted != nil)
        #expect(h.acquire("bob", host: "shared").refusal == h.policyRefusal(.overMax(limit: 1, principal: .host("shared"))))
        #expect(h.acquire("bob", host: "ws", hw: "shared").refusal == h.policyRefusal(.overMax(limit: 1, principal: .host("shared"))))
        #expect(h.acquire("bob", host: "ws").granted != nil)
    }

    @Test("max 0 keeps a user out")
    func maxZero() throws {
        var h = try PolicyHarness(seats: 5, policy: "max 0 LIC-1 user alice")
        #expect(h.acquire("alice").refusal == h.policyRefusal(.overMax(limit: 0, principal: .user("alice"))))
    }

    @Test("a user over a max still gets a seat of their own reservation (RESERVE > MAX)")
    func reserveOverMax() throws {
        var h = try PolicyHarness(seats: 5, policy: "max 1 LIC-1 user alice\nreserve 2 LIC-1 user alice")
        #expect(h.acquire("alice", host: "a").granted != nil)
        #expect(h.acquire("alice", host: "b").granted != nil)
        #expect(h.acquire("alice", host: "c").refusal == h.policyRefusal(.overMax(limit: 1, principal: .user("alice"))))
    }

    @Test("a lapsed session of the user is reclaimed rather than counted against the max")
    func lapsedNotCounted() throws {
        var h = try PolicyHarness(seats: 5, policy: "max 1 LIC-1 user alice")
        #expect(h.acquire("alice", host: "a").granted != nil)
        h.now = ts(1_000)
        let granted = try #require(h.acquire("alice", host: "b").granted)
        #expect(granted.reclaimed.map(\.hostname) == ["a"])
    }

    // MARK: reserve

    @Test("reserved seats are kept for their owners; seats used by owners count against the reservation")
    func reserveAccounting() throws {
        var h = try PolicyHarness(seats: 4, policy: "group eng alice bob\nreserve 2 LIC-1 group eng")
        #expect(h.acquire("carol").granted != nil)
        #expect(h.acquire("dave").granted != nil)
        #expect(h.acquire("erin").refusal == h.policyRefusal(.reservedForOthers(reservedFreeSeats: 2)))
        let alice = try #require(h.acquire("alice").granted).session
        #expect(h.acquire("erin").refusal == h.policyRefusal(.reservedForOthers(reservedFreeSeats: 1)))
        #expect(h.acquire("bob").granted != nil)
        #expect(h.acquire("erin").refusal == .noSeats(seatsTotal: 4, seatsInUse: 4, nextFreeAt: ts(1_000)))
        h.release(alice)
        #expect(h.acquire("erin").refusal == h.policyRefusal(.reservedForOthers(reservedFreeSeats: 1)))
    }

    @Test("owners beyond their reservation take unreserved seats like anyone")
    func ownersBeyondReservation() throws {
        var h = try PolicyHarness(seats: 3, policy: "reserve 1 LIC-1 user alice")
        #expect(h.acquire("alice", host: "a").granted != nil)
        #expect(h.acquire("alice", host: "b").granted != nil)
        #expect(h.acquire("carol").granted != nil)
        #expect(h.acquire("alice", host: "c").refusal == .noSeats(seatsTotal: 3, seatsInUse: 3, nextFreeAt: ts(1_000)))
    }

    @Test("overlapping reservations: each session counts against one, chosen so that most reserved seats are in use")
    func overlappingReservations() throws {
        var h = try PolicyHarness(seats: 3, policy: "group eng alice bob\nreserve 1 LIC-1 group eng\nreserve 1 LIC-1 user alice")
        #expect(h.acquire("alice").granted != nil)
        #expect(h.acquire("bob").granted != nil)
        // alice holds the user reservation, bob the group's: none is left unused.
        #expect(h.acquire("carol").granted != nil)
    }

    @Test("reservations of a tenant's licenses and of every license add up")
    func reservationsAcrossTargets() throws {
        var h = try PolicyHarness(seats: 3, policy: "reserve 1 * user alice\nreserve 1 *@default user bob")
        #expect(h.acquire("carol").granted != nil)
        #expect(h.acquire("dave").refusal == h.policyRefusal(.reservedForOthers(reservedFreeSeats: 2)))
        #expect(h.acquire("bob").granted != nil)
        #expect(h.acquire("alice").granted != nil)
    }

    @Test("a host reservation is used by sessions on that host")
    func hostReservation() throws {
        var h = try PolicyHarness(seats: 2, policy: "reserve 1 LIC-1 host lab-1")
        #expect(h.acquire("carol").granted != nil)
        #expect(h.acquire("dave").refusal == h.policyRefusal(.reservedForOthers(reservedFreeSeats: 1)))
        #expect(h.acquire("dave", host: "lab-1").granted != nil)
    }

    @Test("lapsed sessions of others are reclaimed to honour a reservation")
    func lapsedReclaimedForReservation() throws {
        var h = try PolicyHarness(seats: 2, policy: "reserve 1 LIC-1 user alice")
        #expect(h.acquire("carol").granted != nil)
        h.now = ts(1_000)
        let granted = try #require(h.acquire("dave").granted)
        #expect(granted.reclaimed.map(\.user) == ["carol"])
    }

    // MARK: re-attach

    @Test("re-attaching to a held session is not a new grant and is never refused by the policy")
    func reattachNotRefused() throws {
        var h = try PolicyHarness(seats: 2, policy: "")
        let held = try #require(h.acquire("alice").granted).session
        h.rules = try SitePolicyParser.parse("exclude LIC-1 user alice\nmax 0 LIC-1 user alice", file: "p").rules(for: h.ledger.license)
        let attached = try #require(h.acquire("alice").attached)
        #expect(attached.session.token == held.token && attached.durable)
        #expect(h.acquire("alice", host: "other").refusal == h.policyRefusal(.excluded(.user("alice"))))
    }

    @Test("without rules the ledger decides by seats alone")
    func unrestricted() throws {
        var h = try PolicyHarness(seats: 1, policy: "")
        #expect(h.rules.isUnrestricted)
        #expect(h.acquire("a").granted != nil)
        #expect(h.acquire("b").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
    }
}
