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
            let holders = license.seatCounting.seatHolders(of: (sessions[license.key] ?? []).map(\.session))
            let rules: [[String: Any]] = policy.rules.filter { $0.target.applies(to: license) }.map { rule in
                var object: [String: Any] = [
                    "line": rule.line, "rule": rule.text, "effect": rule.effect.name, "principal": rule.principal.description,
                    "holding": holders.count { rule.principal.matches($0) },
                ]
                if let count = rule.effect.count { object["count"] = count }
                return object
            }
            guard !rules.isEmpty else { continue }
            licenses.append(["license": license.key, "tenant": license.tenant, "seats": license.seats, "in_use": snapshot.seatsInUse, "rules": rules])
        }
        return ["policy_file": policy.file, "rules": policy.rules.count, "licenses": licenses]
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
        }
    }

    var count: Int? {
        switch self {
        case .reserve(let count), .max(let count): count
        case .include, .exclude: nil
        }
    }
}
