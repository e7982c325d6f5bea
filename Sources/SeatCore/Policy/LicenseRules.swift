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
    /// Who may borrow: `borrow allow` and `borrow deny` rules (LicenseRules+Borrow.swift).
    public var borrowAllows: [PolicyPrincipal]
    public var borrowDenies: [PolicyPrincipal]
    /// The longest borrow in hours, the smallest `borrow_max_hours` that applies;
    /// `nil` for the default (`defaultBorrowMaxHours`).
    public var borrowMaxHours: Int?
    /// How many seats may be out on borrow at once, the smallest `borrow_max_seats` that
    /// applies; `nil` for no limit beyond the seats.
    public var borrowMaxSeats: Int?

    public init(
        reservations: [Limit] = [], maxima: [Limit] = [], includes: [PolicyPrincipal] = [], excludes: [PolicyPrincipal] = [],
        priorities: [Limit] = [],
        borrowAllows: [PolicyPrincipal] = [], borrowDenies: [PolicyPrincipal] = [], borrowMaxHours: Int? = nil, borrowMaxSeats: Int? = nil
    ) {
        self.reservations = reservations
        self.maxima = maxima
        self.includes = includes
        self.excludes = excludes
        self.priorities = priorities
        self.borrowAllows = borrowAllows
        self.borrowDenies = borrowDenies
        self.borrowMaxHours = borrowMaxHours
        self.borrowMaxSeats = borrowMaxSeats
    }

    /// No rules: every request is judged by free seats alone.
    public static let unrestricted = LicenseRules()

    /// No rule limits who gets a seat (priorities only order the queue; borrow rules are
    /// judged apart, by `borrowRefusal`).
    public var isUnrestricted: Bool { reservations.isEmpty && maxima.isEmpty && includes.isEmpty && excludes.isEmpty }

    /// The queue priority of `subject`: the highest `priority` rule naming them, 0 if none.
    public func priority(of subject: PolicySubject) -> Int {
        priorities.filter { $0.principal.matches(subject) }.map(\.count).max() ?? 0
    }

    /// Seats reserved in all (each reserve rule's count, summed).
    public var reservedSeats: Int { reservations.reduce(0) { $0 + $1.count } }
}
