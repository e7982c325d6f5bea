/// Why the site policy refused an acquire although the license could be used.
public enum PolicyRefusal: Sendable, Equatable {
    /// An `exclude` rule names the user or host.
    case excluded(PolicyPrincipal)
    /// The license has `include` rules and none (nor a reservation) names the user or host.
    case notIncluded
    /// A `max` rule for the user, group or host is reached: they hold `limit` sessions.
    case overMax(limit: Int, principal: PolicyPrincipal)
    /// Seats are free, but every free seat is reserved for others who have not used their
    /// reservation yet.
    case reservedForOthers(reservedFreeSeats: Int)
    /// A borrow (offline use) the policy does not allow this user or host: a `borrow deny`
    /// rule names them (`principal`), or the license has `borrow allow` rules and none
    /// names them (`principal` nil).
    case borrowNotAllowed(PolicyPrincipal?)
    /// `borrow_max_seats`: `limit` seats of the license are already out on borrow.
    case overBorrowMax(limit: Int)
}
