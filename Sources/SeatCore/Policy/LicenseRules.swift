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

    public init(reservations: [Limit] = [], maxima: [Limit] = [], includes: [PolicyPrincipal] = [], excludes: [PolicyPrincipal] = []) {
        self.reservations = reservations
        self.maxima = maxima
        self.includes = includes
        self.excludes = excludes
    }

    /// No rules: every request is judged by free seats alone.
    public static let unrestricted = LicenseRules()

    public var isUnrestricted: Bool { self == .unrestricted }

    /// Seats reserved in all (each reserve rule's count, summed).
    public var reservedSeats: Int { reservations.reduce(0) { $0 + $1.count } }
}
