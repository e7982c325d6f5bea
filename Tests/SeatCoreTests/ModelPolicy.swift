import SeatCore

/// The site policy side of the randomized ledger model: random policy files over the
/// model's holders, and the documented rules (docs/operations.md, "Policy") computed
/// another way than the ledger does, to compare its decisions with.
enum ModelPolicy {
    /// A random policy file over users u0...u3, hosts host-0...2 and hardware ids h0...h2,
    /// whose reservations fit `seats`.
    static func randomText(seats: Int, random: (Int) -> Int) -> String {
        let users = ["u0", "u1", "u2", "u3"]
        let hosts = ["host-0", "host-1", "host-2", "h0", "h1", "h2"]
        var lines = ["group g \(users[random(4)]) \(users[random(4)])", "host_group hg \(hosts[random(6)]) \(hosts[random(6)])"]
        var reserved = 0
        for _ in 0..<(1 + random(4)) {
            let principal = switch random(4) {
            case 0: "user \(users[random(4)])"
            case 1: "group g"
            case 2: "host \(hosts[random(6)])"
            default: "host_group hg"
            }
            switch random(6) {
            case 0, 1:
                let count = 1 + random(2)
                if reserved + count <= seats {
                    reserved += count
                    lines.append("reserve \(count) LIC-1 \(principal)")
                }
            case 2, 3: lines.append("max \(random(3)) LIC-1 \(principal)")
            case 4: lines.append("include LIC-1 \(principal)")
            default: lines.append("exclude LIC-1 \(principal)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The most reserved seats `holders` can use, each holder counting against at most
    /// one reservation it matches: by max-flow/min-cut, the least over every set S of
    /// reservations of (the seats of the reservations outside S) + (the holders matching
    /// one in S). Exhaustive over subsets, unlike the ledger's augmenting paths.
    static func reservedSeatsInUse(_ reservations: [LicenseRules.Limit], _ holders: [PolicySubject]) -> Int {
        var best = Int.max
        for subset in 0..<(1 << reservations.count) {
            var cut = 0
            var inSubset: [LicenseRules.Limit] = []
            for (index, reservation) in reservations.enumerated() {
                if subset & (1 << index) != 0 { inSubset.append(reservation) } else { cut += reservation.count }
            }
            cut += holders.count { holder in inSubset.contains { $0.principal.matches(holder) } }
            best = min(best, cut)
        }
        return best
    }

    /// Whether `subject` may use the license at all: not excluded, and named by an include
    /// (or a reservation) if there are any.
    static func access(_ rules: LicenseRules, _ subject: PolicySubject) -> PolicyRefusal? {
        for principal in rules.excludes where principal.matches(subject) { return .excluded(principal) }
        let owner = rules.reservations.contains { $0.principal.matches(subject) }
        if !owner, !rules.includes.isEmpty, !rules.includes.contains(where: { $0.matches(subject) }) { return .notIncluded }
        return nil
    }

    /// The decision the documented precedence gives for `subject` (EXCLUDE > RESERVE >
    /// MAX > INCLUDE, then reserved seats set aside).
    static func admission(_ rules: LicenseRules, _ subject: PolicySubject, holders: [PolicySubject], seats: Int) -> Admission {
        let free = seats - holders.count
        for principal in rules.excludes where principal.matches(subject) { return .refused(.excluded(principal)) }
        let owner = rules.reservations.contains { $0.principal.matches(subject) }
        if !owner, !rules.includes.isEmpty, !rules.includes.contains(where: { $0.matches(subject) }) { return .refused(.notIncluded) }
        let inUse = reservedSeatsInUse(rules.reservations, holders)
        if free > 0, owner, reservedSeatsInUse(rules.reservations, holders + [subject]) > inUse { return .admitted }
        for limit in rules.maxima where limit.principal.matches(subject) && holders.count(where: { limit.principal.matches($0) }) >= limit.count {
            return .refused(.overMax(limit: limit.count, principal: limit.principal))
        }
        if free <= 0 { return .noFreeSeat }
        let unused = rules.reservedSeats - inUse
        return free > unused ? .admitted : .refused(.reservedForOthers(reservedFreeSeats: free))
    }
}
