/// Which licenses a policy rule is for.
public enum PolicyTarget: Sendable, Hashable, CustomStringConvertible {
    /// `*`: every license.
    case everyLicense
    /// `*@TENANT`: every license of the tenant.
    case tenant(String)
    /// One license, by key.
    case license(String)

    public func applies(to license: License) -> Bool {
        switch self {
        case .everyLicense: true
        case .tenant(let tenant): license.tenant == tenant
        case .license(let key): license.key == key
        }
    }

    public var description: String {
        switch self {
        case .everyLicense: "*"
        case .tenant(let tenant): "*@" + tenant
        case .license(let key): key
        }
    }
}

/// One rule of a policy file, with where it was written.
public struct PolicyRule: Sendable, Equatable {
    public enum Effect: Sendable, Equatable {
        case reserve(Int)
        case max(Int)
        case include
        case exclude
        /// Queue priority: waiters it names are served before those of lower priority.
        case priority(Int)
        /// `borrow allow`, `borrow deny`: who may borrow (offline use).
        case borrowAllow
        case borrowDeny
    }

    public var effect: Effect
    public var target: PolicyTarget
    public var principal: PolicyPrincipal
    /// The line it is on (1-based) and its text, for errors about it.
    public var line: Int
    public var text: String

    public init(effect: Effect, target: PolicyTarget, principal: PolicyPrincipal, line: Int, text: String) {
        self.effect = effect
        self.target = target
        self.principal = principal
        self.line = line
        self.text = text
    }
}

/// A `borrow_max_hours` or `borrow_max_seats` rule: a number for the licenses of a target,
/// about no user or host.
public struct BorrowLimitRule: Sendable, Equatable {
    public enum Limit: Sendable, Equatable {
        case hours(Int)
        case seats(Int)
    }

    public var limit: Limit
    public var target: PolicyTarget
    /// The line it is on (1-based) and its text, for errors about it.
    public var line: Int
    public var text: String

    public init(limit: Limit, target: PolicyTarget, line: Int, text: String) {
        self.limit = limit
        self.target = target
        self.line = line
        self.text = text
    }
}

/// A site's policy file, parsed and resolved: who may use which license, how many seats
/// they may hold and which seats are kept for them. Pure; `SitePolicyParser` reads it.
public struct SitePolicy: Sendable, Equatable {
    /// Where it was read from, for errors.
    public var file: String
    public var userGroups: [String: Set<String>]
    public var hostGroups: [String: Set<String>]
    public var rules: [PolicyRule]
    public var borrowLimits: [BorrowLimitRule]

    public init(
        file: String = "", userGroups: [String: Set<String>] = [:], hostGroups: [String: Set<String>] = [:], rules: [PolicyRule] = [],
        borrowLimits: [BorrowLimitRule] = []
    ) {
        self.file = file
        self.userGroups = userGroups
        self.hostGroups = hostGroups
        self.rules = rules
        self.borrowLimits = borrowLimits
    }

    /// No policy file: only seat counts limit grants.
    public static let none = SitePolicy()

    /// How many rules the file has (groups are not rules), for messages.
    public var ruleCount: Int { rules.count + borrowLimits.count }

    /// The rules for `license`, in file order.
    public func rules(for license: License) -> LicenseRules {
        var result = LicenseRules()
        for rule in rules where rule.target.applies(to: license) {
            switch rule.effect {
            case .reserve(let count): result.reservations.append(LicenseRules.Limit(count, rule.principal))
            case .max(let count): result.maxima.append(LicenseRules.Limit(count, rule.principal))
            case .include: result.includes.append(rule.principal)
            case .exclude: result.excludes.append(rule.principal)
            case .priority(let level): result.priorities.append(LicenseRules.Limit(level, rule.principal))
            case .borrowAllow: result.borrowAllows.append(rule.principal)
            case .borrowDeny: result.borrowDenies.append(rule.principal)
            }
        }
        // Several limits may apply (one for the tenant, one for the license): the
        // strictest holds.
        for rule in borrowLimits where rule.target.applies(to: license) {
            switch rule.limit {
            case .hours(let hours): result.borrowMaxHours = min(hours, result.borrowMaxHours ?? hours)
            case .seats(let seats): result.borrowMaxSeats = min(seats, result.borrowMaxSeats ?? seats)
            }
        }
        return result
    }

    /// Reservations that do not fit their license: for each license whose reserve rules
    /// add up to more than its seats, an error on the rule that went past them.
    public func reservationErrors(for licenses: [License]) -> [PolicyFileError] {
        var errors: [PolicyFileError] = []
        for license in licenses.sorted(by: { $0.key < $1.key }) {
            var reserved = 0
            for rule in rules where rule.target.applies(to: license) {
                guard case .reserve(let count) = rule.effect else { continue }
                reserved += count
                if reserved > license.seats {
                    errors.append(PolicyFileError(
                        file: file, line: rule.line, rule: rule.text,
                        message: "reservations for license \(license.key) add up to \(reserved), more than its \(license.seats) seats"))
                    break
                }
            }
        }
        return errors
    }
}

/// A mistake in a policy file: where, in which rule, and what is wrong.
public struct PolicyFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 for errors about the whole file (it cannot be read).
    public var line: Int
    /// The rule as written (without its comment); empty for errors about the whole file.
    public var rule: String
    public var message: String

    public init(file: String, line: Int, rule: String, message: String) {
        self.file = file
        self.line = line
        self.rule = rule
        self.message = message
    }

    /// `file:line: rule: message`, as compilers print errors; `file: message` for the whole
    /// file (line 0).
    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        return rule.isEmpty ? "\(place): \(message)" : "\(place): \(rule): \(message)"
    }
}

/// Every mistake found in a policy file (it is refused as a whole).
public struct PolicyFileErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [PolicyFileError]

    public init(_ errors: [PolicyFileError]) {
        self.errors = errors
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
