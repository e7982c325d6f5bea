/// What the seat rules decide for a new session of a license.
public enum Admission: Sendable, Equatable {
    case admitted
    case noFreeSeat
    case refused(PolicyRefusal)
}

extension LicenseRules {
    /// Whether `subject` may take a new seat of a license with `seats` seats while
    /// `holders` hold theirs. Pure and time-independent. Precedence (FlexNet's):
    ///
    /// 1. `exclude` wins over everything.
    /// 2. A subject a reservation with unused seats names gets one of them, past any `max`
    ///    and whether or not an `include` names it.
    /// 3. `max`: the user, group or host already holding `count` sessions is refused.
    /// 4. `include`: if the license has any, only subjects they name (or a reservation
    ///    names) get a seat.
    /// 5. Otherwise a free seat is granted only if one is left once every reservation's
    ///    unused seats are set aside.
    ///
    /// `include` is checked before seats and `max` before a lack of seats, so a refusal
    /// names the policy whenever a free seat would not have helped.
    ///
    /// `holders` are the seats held, one subject each (under user or host counting, the
    /// subject of the seat's first session), so maxima and reservations count seats.
    public func admission(of subject: PolicySubject, holders: [PolicySubject], seats: Int) -> Admission {
        let freeSeats = seats - holders.count
        if let refusal = access(of: subject) { return .refused(refusal) }
        let reserved = reservations.contains { $0.principal.matches(subject) }
        var matching = ReservationMatching(reservations, holders: holders)
        if freeSeats > 0, reserved, matching.assign(subject) { return .admitted }
        for limit in maxima where limit.principal.matches(subject) {
            if holders.count(where: { limit.principal.matches($0) }) >= limit.count {
                return .refused(.overMax(limit: limit.count, principal: limit.principal))
            }
        }
        guard freeSeats > 0 else { return .noFreeSeat }
        if freeSeats <= matching.unassignedSeats { return .refused(.reservedForOthers(reservedFreeSeats: freeSeats)) }
        return .admitted
    }

    /// Whether `subject` may use the license at all (steps 1 and 4 above): what a session
    /// that shares a seat already held (user or host counting) is judged by, since it
    /// takes no seat for a `max` or a reservation to count.
    public func access(of subject: PolicySubject) -> PolicyRefusal? {
        if let excluding = excludes.first(where: { $0.matches(subject) }) { return .excluded(excluding) }
        let reserved = reservations.contains { $0.principal.matches(subject) }
        if !reserved, !includes.isEmpty, !includes.contains(where: { $0.matches(subject) }) { return .notIncluded }
        return nil
    }
}
