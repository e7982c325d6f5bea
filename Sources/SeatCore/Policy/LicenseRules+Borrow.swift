extension LicenseRules {
    /// The longest borrow when no `borrow_max_hours` applies: a week, FlexNet's default.
    public static let defaultBorrowMaxHours = 168

    /// The longest borrow the policy allows, in milliseconds.
    public var borrowMaxMilliseconds: Int64 { Int64(borrowMaxHours ?? Self.defaultBorrowMaxHours) * 3_600_000 }

    /// How long a borrow asking for `requested` milliseconds gets: capped at the maximum,
    /// so a client asking for more gets the most it may have (the reply says until when).
    public func borrowDuration(requested: Int64) -> Int64 {
        min(max(requested, 0), borrowMaxMilliseconds)
    }

    /// Whether `subject` may borrow a seat while `borrowedSeats` seats of the license are out
    /// on borrow; `nil` if it may (free seats and the other rules are judged as for any
    /// acquire). `borrow deny` wins over `borrow allow`; without `borrow allow` rules
    /// everyone not denied may borrow. `borrow_max_seats` counts seats, so a borrow that
    /// `addsSeat: false` (it shares a seat already out on borrow, under user or host
    /// counting) is within it.
    public func borrowRefusal(of subject: PolicySubject, borrowedSeats: Int, addsSeat: Bool) -> PolicyRefusal? {
        if let denying = borrowDenies.first(where: { $0.matches(subject) }) { return .borrowNotAllowed(denying) }
        if !borrowAllows.isEmpty, !borrowAllows.contains(where: { $0.matches(subject) }) { return .borrowNotAllowed(nil) }
        if addsSeat, let limit = borrowMaxSeats, borrowedSeats >= limit { return .overBorrowMax(limit: limit) }
        return nil
    }
}
