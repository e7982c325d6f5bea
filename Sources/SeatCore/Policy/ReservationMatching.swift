/// Which sessions use which reserved seats. A session counts against at most one
/// reservation it matches; when reservations overlap (a user in two reserved groups) the
/// assignment is a maximum matching, so the reserved seats in use never depend on the
/// order sessions arrived in.
struct ReservationMatching {
    private let reservations: [LicenseRules.Limit]
    /// The subjects assigned to each reservation, by index.
    private var assigned: [[PolicySubject]]

    init(_ reservations: [LicenseRules.Limit], holders: [PolicySubject]) {
        self.reservations = reservations
        self.assigned = Array(repeating: [], count: reservations.count)
        for subject in holders where unassignedSeats > 0 {
            _ = assign(subject)
        }
    }

    /// Reserved seats not used by their owners.
    var unassignedSeats: Int {
        zip(reservations, assigned).reduce(0) { $0 + max(0, $1.0.count - $1.1.count) }
    }

    /// Counts `subject` against a reservation it matches if one has room, moving others
    /// between their reservations to make room where needed. False if none can take it.
    mutating func assign(_ subject: PolicySubject) -> Bool {
        // Most sessions find room at once; the search for a chain of moves is the rare case.
        for index in reservations.indices where hasRoom(index) && reservations[index].principal.matches(subject) {
            assigned[index].append(subject)
            return true
        }
        var visited = Array(repeating: false, count: reservations.count)
        return augment(subject, visited: &visited)
    }

    private func hasRoom(_ index: Int) -> Bool { assigned[index].count < reservations[index].count }

    private mutating func augment(_ subject: PolicySubject, visited: inout [Bool]) -> Bool {
        for index in reservations.indices where !visited[index] && reservations[index].principal.matches(subject) {
            visited[index] = true
            if hasRoom(index) {
                assigned[index].append(subject)
                return true
            }
            for position in assigned[index].indices {
                let displaced = assigned[index][position]
                if augment(displaced, visited: &visited) {
                    assigned[index][position] = subject
                    return true
                }
            }
        }
        return false
    }
}
