/// Why the site policy refused an acquire: the first byte of a `policyDenied` detail
/// (protocol-spec.md, 8.2). Values are stable.
public enum PolicyDenialReason: UInt8, Sendable, CaseIterable {
    /// The policy excludes the user or the host from the license.
    case excluded = 1
    /// The license is limited to listed users and hosts, and this one is not listed.
    case notIncluded = 2
    /// The user, group or host already holds the most seats the policy allows (`limit`).
    case overMax = 3
    /// Every free seat is reserved for other users or hosts.
    case reservedForOthers = 4
    /// A Borrow the policy does not allow this user or host (`borrow deny`, or `borrow
    /// allow` rules that do not name them). The user may still acquire an ordinary seat.
    case borrowNotAllowed = 128
    /// `borrow_max_seats`: `limit` seats of the license are already out on borrow.
    case overBorrowMax = 129

    /// Whether waiting can help without anyone changing the policy: a seat of one's own
    /// ends, or a reservation's owners take their seats so the rest free up.
    public var isWorthWaiting: Bool {
        switch self {
        case .overMax, .reservedForOthers, .overBorrowMax: true
        case .excluded, .notIncluded, .borrowNotAllowed: false
        }
    }
}
