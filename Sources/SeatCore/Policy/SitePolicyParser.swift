/// Reads a policy file (docs/operations.md, "Policy"): one rule per line, `#` starts a
/// comment, fields are separated by spaces or tabs, keywords are case-insensitive.
///
///     group NAME USER...              host_group NAME HOST...
///     reserve COUNT TARGET KIND NAME  max COUNT TARGET KIND NAME
///     include TARGET KIND NAME        exclude TARGET KIND NAME
///     priority LEVEL TARGET KIND NAME
///     borrow allow|deny TARGET KIND NAME
///     borrow_max_hours HOURS TARGET   borrow_max_seats COUNT TARGET
///
/// TARGET is a license key, `*` (every license) or `*@TENANT`; KIND is `user`, `group`,
/// `host` or `host_group`. Groups may be used before the line that defines them, and
/// repeated `group` lines of one name add members. Pure: text in, policy or every error out.
public enum SitePolicyParser {
    /// The largest count a rule may give; far above any seat count.
    static let maximumCount = 1_000_000

    public static func parse(_ text: String, file: String) throws(PolicyFileErrors) -> SitePolicy {
        var errors: [PolicyFileError] = []
        var policy = SitePolicy(file: file)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, raw in
            ParsedLine(number: index + 1, raw: raw)
        }
        // Groups first, so a rule may name a group defined further down.
        var ruleLines: [ParsedLine] = []
        for line in lines {
            switch line.keyword {
            case "borrow_max_hours", "borrow_max_seats":
                do throws(PolicyFileError) {
                    policy.borrowLimits.append(try borrowLimit(line))
                } catch {
                    errors.append(error)
                }
            case "group", "host_group":
                guard line.fields.count >= 3 else {
                    errors.append(line.error("needs a name and at least one member: \(line.keyword) NAME MEMBER..."))
                    continue
                }
                let members = Set(line.fields.dropFirst(2))
                if line.keyword == "group" {
                    policy.userGroups[line.fields[1], default: []].formUnion(members)
                } else {
                    policy.hostGroups[line.fields[1], default: []].formUnion(members)
                }
            default:
                ruleLines.append(line)
            }
        }
        for line in ruleLines {
            do throws(PolicyFileError) {
                policy.rules.append(try rule(line, groups: policy))
            } catch {
                errors.append(error)
            }
        }
        guard errors.isEmpty else {
            throw PolicyFileErrors(errors.sorted { $0.line < $1.line }.map { error in
                var located = error
                located.file = file
                return located
            })
        }
        return policy
    }

    private static func rule(_ line: ParsedLine, groups: SitePolicy) throws(PolicyFileError) -> PolicyRule {
        let effect: PolicyRule.Effect
        let rest: ArraySlice<String>
        switch line.keyword {
        case "priority":
            guard line.fields.count == 5 else { throw line.error("needs 4 fields: priority LEVEL LICENSE KIND NAME") }
            guard let level = Int(line.fields[1]), (-maximumCount...maximumCount).contains(level) else {
                throw line.error("the level must be a whole number from -\(maximumCount) to \(maximumCount), not \(line.fields[1])")
            }
            effect = .priority(level)
            rest = line.fields[2...]
        case "reserve", "max":
            guard line.fields.count == 5 else { throw line.error("needs 4 fields: \(line.keyword) COUNT LICENSE KIND NAME") }
            let minimum = line.keyword == "reserve" ? 1 : 0
            guard let count = Int(line.fields[1]), (minimum...maximumCount).contains(count) else {
                throw line.error("the count must be a whole number from \(minimum) to \(maximumCount), not \(line.fields[1])")
            }
            effect = line.keyword == "reserve" ? .reserve(count) : .max(count)
            rest = line.fields[2...]
        case "include", "exclude":
            guard line.fields.count == 4 else { throw line.error("needs 3 fields: \(line.keyword) LICENSE KIND NAME") }
            effect = line.keyword == "include" ? .include : .exclude
            rest = line.fields[1...]
        case "borrow":
            guard line.fields.count == 5 else { throw line.error("needs 4 fields: borrow allow|deny LICENSE KIND NAME") }
            switch line.fields[1].lowercased() {
            case "allow": effect = .borrowAllow
            case "deny": effect = .borrowDeny
            default: throw line.error("borrow rules are borrow allow or borrow deny, not borrow \(line.fields[1])")
            }
            rest = line.fields[2...]
        default:
            throw line.error("unknown rule \(line.fields[0]); known: group, host_group, reserve, max, include, exclude, priority, borrow, borrow_max_hours, borrow_max_seats")
        }
        let target = try self.target(rest[rest.startIndex], line)
        let principal = try self.principal(kind: rest[rest.startIndex + 1], name: rest[rest.startIndex + 2], line, groups: groups)
        return PolicyRule(effect: effect, target: target, principal: principal, line: line.number, text: line.text)
    }

    /// The longest borrow a rule may allow: a year.
    static let maximumBorrowHours = 8_784

    private static func borrowLimit(_ line: ParsedLine) throws(PolicyFileError) -> BorrowLimitRule {
        let hours = line.keyword == "borrow_max_hours"
        guard line.fields.count == 3 else { throw line.error("needs 2 fields: \(line.keyword) \(hours ? "HOURS" : "COUNT") LICENSE") }
        // A borrow of 0 hours would be no borrow: forbid borrowing with `borrow deny`.
        let range = hours ? 1...maximumBorrowHours : 0...maximumCount
        guard let count = Int(line.fields[1]), range.contains(count) else {
            throw line.error("the \(hours ? "hours" : "count") must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(line.fields[1])")
        }
        return BorrowLimitRule(limit: hours ? .hours(count) : .seats(count), target: try target(line.fields[2], line), line: line.number, text: line.text)
    }

    private static func target(_ field: String, _ line: ParsedLine) throws(PolicyFileError) -> PolicyTarget {
        if field == "*" { return .everyLicense }
        guard field.hasPrefix("*@") else { return .license(field) }
        let tenant = String(field.dropFirst(2))
        guard Tenant.isValidID(tenant) else { throw line.error("\(tenant) is not a tenant id (1...64 of a-z 0-9 . _ -)") }
        return .tenant(tenant)
    }

    private static func principal(kind: String, name: String, _ line: ParsedLine, groups: SitePolicy) throws(PolicyFileError) -> PolicyPrincipal {
        switch kind.lowercased() {
        case "user":
            return .user(name)
        case "host":
            return .host(name)
        case "group":
            guard let members = groups.userGroups[name] else { throw line.error("no group \(name) is defined") }
            return .group(name, members: members)
        case "host_group":
            guard let members = groups.hostGroups[name] else { throw line.error("no host_group \(name) is defined") }
            return .hostGroup(name, members: members)
        default:
            throw line.error("unknown kind \(kind); known: user, group, host, host_group")
        }
    }
}

/// A line with its comment removed, split into fields; `nil` for a blank line.
private struct ParsedLine {
    let number: Int
    /// The line without its comment and surrounding blanks.
    let text: String
    let fields: [String]
    /// The first field, lower-cased.
    let keyword: String

    init?(number: Int, raw: Substring) {
        let uncommented = raw.prefix { $0 != "#" }
        let fields = uncommented.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        guard let first = fields.first else { return nil }
        self.number = number
        self.fields = fields
        self.text = fields.joined(separator: " ")
        self.keyword = first.lowercased()
    }

    func error(_ message: String) -> PolicyFileError {
        PolicyFileError(file: "", line: number, rule: text, message: message)
    }
}
