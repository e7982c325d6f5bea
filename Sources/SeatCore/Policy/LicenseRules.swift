/// The policy rules that apply to one license (its own and those for all licenses of
/// its tenant or of the site), in file order.
public struct LicenseRules: Sendable, Equatable {
    public struct Limit: Sendable, Equatable {
        public var count: Int
        public var principal: PolicyPrincipal

        public init(_ count: Int, _ principal: PolicyPrincipal) {
            self.count = count
            self.principal = principal
        }
    }

    public var reservations: [Limit]
    public var maxima: [Limit]
    public var includes: [PolicyPrincipal]
    public var excludes: [PolicyPrincipal]
    /// `priority N` rules: the queue serves higher numbers first (`priority(of:)`).
    public var priorities: [Limit]

    public init(reservations: [Limit] = [], maxima: [Limit] = [], includes: [PolicyPrincipal] = [], excludes: [PolicyPrincipal] = [], priorities: [Limit] = []) {
        self.reservations = reservations
        self.maxima = maxima
        self.includes = includes
        self.excludes = excludes
        self.priorities = priorities
    }

    /// No rules: every request is judged by free seats alone.
    public static let unrestricted = LicenseRules()

    /// No rule limits who gets a seat (priorities only order the queue).
    public var isUnrestricted: Bool { reservations.isEmpty && maxima.isEmpty && includes.isEmpty && excludes.isEmpty }

    /// The queue priority of `subject`: the highest `priority` rule naming them, 0 if none.
    public func priority(of subject: PolicySubject) -> Int {
        priorities.filter { $0.principal.matches(subject) }.map(\.count).max() ?? 0
    }

    /// Seats reserved in all (each reserve rule's count, summed).
    public var reservedSeats: Int { reservations.reduce(0) { $0 + $1.count } }
}
