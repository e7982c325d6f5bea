import SeatCore
import Testing

@Suite("SitePolicyParser")
struct SitePolicyParserTests {
    func parse(_ text: String) throws -> SitePolicy { try SitePolicyParser.parse(text, file: "site.policy") }

    func errors(_ text: String) -> [PolicyFileError] {
        do {
            _ = try SitePolicyParser.parse(text, file: "site.policy")
            return []
        } catch {
            return error.errors
        }
    }

    @Test("every rule, with comments, blank lines, tabs and upper-case keywords")
    func everyRule() throws {
        let policy = try parse("""
            # the site's policy

            GROUP eng alice bob   # two
            group eng carol
            host_group lab lab-1\tlab-2
            reserve 2 ACME group eng
            MAX 1 ACME user dave
            max 0 ACME host kiosk
            include *@acme host_group lab
            exclude * user mallory
            """)
        #expect(policy.userGroups == ["eng": ["alice", "bob", "carol"]])
        #expect(policy.hostGroups == ["lab": ["lab-1", "lab-2"]])
        let eng = PolicyPrincipal.group("eng", members: ["alice", "bob", "carol"])
        #expect(policy.rules == [
            PolicyRule(effect: .reserve(2), target: .license("ACME"), principal: eng, line: 6, text: "reserve 2 ACME group eng"),
            PolicyRule(effect: .max(1), target: .license("ACME"), principal: .user("dave"), line: 7, text: "MAX 1 ACME user dave"),
            PolicyRule(effect: .max(0), target: .license("ACME"), principal: .host("kiosk"), line: 8, text: "max 0 ACME host kiosk"),
            PolicyRule(effect: .include, target: .tenant("acme"), principal: .hostGroup("lab", members: ["lab-1", "lab-2"]), line: 9, text: "include *@acme host_group lab"),
            PolicyRule(effect: .exclude, target: .everyLicense, principal: .user("mallory"), line: 10, text: "exclude * user mallory"),
        ])
    }

    @Test("borrow rules: allow and deny name a user or host, the limits a number and a target")
    func borrowRules() throws {
        let policy = try parse("""
            borrow allow *@acme group eng
            BORROW deny ACME host kiosk
            borrow_max_hours 24 ACME
            borrow_max_seats 3 *
            group eng alice
            """)
        #expect(policy.rules == [
            PolicyRule(effect: .borrowAllow, target: .tenant("acme"), principal: .group("eng", members: ["alice"]), line: 1, text: "borrow allow *@acme group eng"),
            PolicyRule(effect: .borrowDeny, target: .license("ACME"), principal: .host("kiosk"), line: 2, text: "BORROW deny ACME host kiosk"),
        ])
        #expect(policy.borrowLimits == [
            BorrowLimitRule(limit: .hours(24), target: .license("ACME"), line: 3, text: "borrow_max_hours 24 ACME"),
            BorrowLimitRule(limit: .seats(3), target: .everyLicense, line: 4, text: "borrow_max_seats 3 *"),
        ])
        let rules = policy.rules(for: License(key: "ACME", tenant: "acme", seats: 5))
        #expect(rules.borrowAllows == [.group("eng", members: ["alice"])])
        #expect(rules.borrowDenies == [.host("kiosk")])
        #expect(rules.borrowMaxHours == 24)
        #expect(rules.borrowMaxSeats == 3)
        #expect(policy.rules(for: License(key: "OTHER", seats: 5)).borrowMaxHours == nil)
    }

    @Test("borrow rule mistakes name their line")
    func borrowRuleErrors() {
        let found = errors("""
            borrow maybe ACME user a
            borrow allow ACME user
            borrow_max_hours 0 ACME
            borrow_max_hours 9000 ACME
            borrow_max_seats -1 ACME
            borrow_max_seats 2
            """)
        #expect(found.map(\.line) == [1, 2, 3, 4, 5, 6])
        #expect(found.first?.message == "borrow rules are borrow allow or borrow deny, not borrow maybe")
        #expect(found.dropFirst(2).first?.message == "the hours must be a whole number from 1 to 8784, not 0")
        #expect(found.last?.message == "needs 2 fields: borrow_max_seats COUNT LICENSE")
    }

    @Test("a group may be used above the line that defines it")
    func groupDefinedLater() throws {
        let policy = try parse("reserve 1 ACME group late\ngroup late zed\n")
        #expect(policy.rules.first?.principal == .group("late", members: ["zed"]))
    }

    @Test("an empty file or one of comments is no rules")
    func empty() throws {
        #expect(try parse("") == SitePolicy(file: "site.policy"))
        #expect(try parse("# nothing\n\n   \n").rules.isEmpty)
    }

    @Test("each error names file, line and rule", arguments: [
        ("frob ACME", "unknown rule frob; known: group, host_group, reserve, max, include, exclude, priority, borrow, borrow_max_hours, borrow_max_seats"),
        ("group eng", "needs a name and at least one member: group NAME MEMBER..."),
        ("host_group lab", "needs a name and at least one member: host_group NAME MEMBER..."),
        ("reserve 1 ACME user", "needs 4 fields: reserve COUNT LICENSE KIND NAME"),
        ("max 1 ACME user a b", "needs 4 fields: max COUNT LICENSE KIND NAME"),
        ("include ACME user", "needs 3 fields: include LICENSE KIND NAME"),
        ("exclude ACME user a b", "needs 3 fields: exclude LICENSE KIND NAME"),
        ("reserve 0 ACME user a", "the count must be a whole number from 1 to 1000000, not 0"),
        ("reserve two ACME user a", "the count must be a whole number from 1 to 1000000, not two"),
        ("max -1 ACME user a", "the count must be a whole number from 0 to 1000000, not -1"),
        ("max 1000001 ACME user a", "the count must be a whole number from 0 to 1000000, not 1000001"),
        ("include ACME planet a", "unknown kind planet; known: user, group, host, host_group"),
        ("exclude ACME group nope", "no group nope is defined"),
        ("exclude ACME host_group nope", "no host_group nope is defined"),
        ("exclude *@Big user a", "Big is not a tenant id (1...64 of a-z 0-9 . _ -)"),
        ("exclude *@ user a", " is not a tenant id (1...64 of a-z 0-9 . _ -)"),
    ])
    func oneError(rule: String, message: String) {
        let found = errors("# header\n\(rule)   # why\n")
        #expect(found == [PolicyFileError(file: "site.policy", line: 2, rule: rule, message: message)])
        #expect(found.first?.description == "site.policy:2: \(rule): \(message)")
    }

    @Test("a host group is not a user group, nor the other way round")
    func separateNamespaces() {
        #expect(errors("host_group lab h1\nexclude X group lab").map(\.message) == ["no group lab is defined"])
        #expect(errors("group eng a\nexclude X host_group eng").map(\.message) == ["no host_group eng is defined"])
    }

    @Test("every error is reported, in line order, and the file is refused as a whole")
    func allErrors() {
        let found = errors("exclude X group nope\ngroup g\nexclude X user fine\nfrob\n")
        #expect(found.map(\.line) == [1, 2, 4])
    }

    @Test("reservations that add up to more than a license's seats are an error on the rule past them")
    func reservationsOverSeats() throws {
        let policy = try parse("""
            reserve 2 ACME user a
            reserve 1 * user b
            reserve 2 *@acme user c
            reserve 9 OTHER user d
            """)
        let acme = License(key: "ACME", tenant: "acme", seats: 4)
        #expect(policy.reservationErrors(for: [acme]) == [PolicyFileError(
            file: "site.policy", line: 3, rule: "reserve 2 *@acme user c",
            message: "reservations for license ACME add up to 5, more than its 4 seats")])
        #expect(policy.reservationErrors(for: [License(key: "ACME", tenant: "acme", seats: 5)]).isEmpty)
        // A license of another tenant gets only the `*` rule.
        #expect(policy.reservationErrors(for: [License(key: "ACME", tenant: "other", seats: 3)]).isEmpty)
        #expect(policy.reservationErrors(for: [License(key: "OTHER", seats: 9)]) == [PolicyFileError(
            file: "site.policy", line: 4, rule: "reserve 9 OTHER user d",
            message: "reservations for license OTHER add up to 10, more than its 9 seats")])
    }

    @Test("a license's rules are its own, its tenant's and every license's, in file order")
    func rulesForLicense() throws {
        let policy = try parse("""
            exclude * user x
            max 1 ACME user y
            include *@acme user z
            reserve 1 OTHER user w
            """)
        #expect(policy.rules(for: License(key: "ACME", tenant: "acme", seats: 2)) == LicenseRules(
            maxima: [.init(1, .user("y"))], includes: [.user("z")], excludes: [.user("x")]))
        #expect(policy.rules(for: License(key: "NEW", tenant: "beta", seats: 2)) == LicenseRules(excludes: [.user("x")]))
        #expect(SitePolicy.none.rules(for: License(key: "ACME", seats: 2)).isUnrestricted)
    }
}

@Suite("SitePolicyParser: priority")
struct SitePolicyPriorityTests {
    @Test func priorityRulesOrderTheQueueAndTheHighestMatchingWins() throws {
        let policy = try SitePolicyParser.parse("""
            group leads carol
            priority 10 * group leads
            priority 3 LIC-1 user carol
            priority -2 LIC-1 host kiosk
            """, file: "site.policy")
        let rules = policy.rules(for: license(seats: 1))
        #expect(rules.priority(of: PolicySubject(user: "carol", hostname: "ws", hardwareID: "hw")) == 10)
        #expect(rules.priority(of: PolicySubject(user: "bob", hostname: "kiosk", hardwareID: "hw")) == -2)
        #expect(rules.priority(of: PolicySubject(user: "bob", hostname: "ws", hardwareID: "hw")) == 0)
        // Priorities alone limit nobody: grants stay a matter of counting seats.
        #expect(rules.isUnrestricted)
    }

    @Test func aPriorityRuleNeedsAWholeLevel() {
        #expect(throws: PolicyFileErrors([PolicyFileError(
            file: "p", line: 1, rule: "priority high LIC-1 user a",
            message: "the level must be a whole number from -1000000 to 1000000, not high")])) {
            try SitePolicyParser.parse("priority high LIC-1 user a", file: "p")
        }
        #expect(throws: PolicyFileErrors.self) { try SitePolicyParser.parse("priority 1 LIC-1 user", file: "p") }
    }
}
