import SeatCore

extension AdminDispatcher {
    /// `policy`: the policy file in force, as it applies to each license served (of
    /// `tenant`, if given): every rule with its line, and how many of the license's seats
    /// (its live sessions, or under user or host counting the seats they share) the rule's
    /// user, group or host holds now, as the rules count them.
    func policyInForce(tenant: String?) async -> [String: Any] {
        let policy = service.sitePolicy
        let sessions = Dictionary(grouping: await service.sessions(matching: SessionFilter(tenant: tenant)), by: \.license.key)
        var licenses: [[String: Any]] = []
        for snapshot in await service.licenseSnapshots().sorted(by: { $0.license.key < $1.license.key }) {
            let license = snapshot.license
            guard tenant == nil || license.tenant == tenant else { continue }
            let licenseSessions = (sessions[license.key] ?? []).map(\.session)
            let holders = license.seatCounting.seatHolders(of: licenseSessions)
            var rules: [[String: Any]] = policy.rules.filter { $0.target.applies(to: license) }.map { rule in
                var object: [String: Any] = [
                    "line": rule.line, "rule": rule.text, "effect": rule.effect.name, "principal": rule.principal.description,
                    "holding": holders.count { rule.principal.matches($0) },
                ]
                if let count = rule.effect.count { object["count"] = count }
                return object
            }
            // Borrow limits name no one: their "holding" is the license's seats out on borrow
            // (under user or host counting, the seats with a borrowed session on them).
            let borrowed = license.seatCounting.seatHolders(of: licenseSessions.filter(\.isBorrowed)).count
            for rule in policy.borrowLimits where rule.target.applies(to: license) {
                let (effect, count) = switch rule.limit {
                case .hours(let hours): ("borrow_max_hours", hours)
                case .seats(let seats): ("borrow_max_seats", seats)
                }
                rules.append(["line": rule.line, "rule": rule.text, "effect": effect, "principal": "", "count": count, "holding": borrowed])
            }
            rules.sort { ($0["line"] as! Int) < ($1["line"] as! Int) }
            guard !rules.isEmpty else { continue }
            licenses.append(["license": license.key, "tenant": license.tenant, "seats": license.seats, "in_use": snapshot.seatsInUse, "rules": rules])
        }
        return ["policy_file": policy.file, "rules": policy.ruleCount, "licenses": licenses]
    }
}

extension PolicyRule.Effect {
    /// As the policy file spells it.
    var name: String {
        switch self {
        case .reserve: "reserve"
        case .max: "max"
        case .include: "include"
        case .exclude: "exclude"
        case .priority: "priority"
        case .borrowAllow: "borrow allow"
        case .borrowDeny: "borrow deny"
        }
    }

    var count: Int? {
        switch self {
        case .reserve(let count), .max(let count), .priority(let count): count
        case .include, .exclude, .borrowAllow, .borrowDeny: nil
        }
    }
}
