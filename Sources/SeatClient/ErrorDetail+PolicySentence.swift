import SeatProtocol

extension ErrorDetail {
    /// Why the site policy refused a seat, as a sentence for the user; `nil` for any other
    /// detail.
    public var policySentence: String? {
        guard case .policyDenied(let reason, let limit, _, _, let reservedFreeSeats) = self else { return nil }
        switch reason {
        case .excluded:
            return "The site policy excludes this user or host from the license."
        case .notIncluded:
            return "The site policy allows this license only to listed users and hosts, and this one is not listed."
        case .overMax:
            return "The site policy allows at most \(limit) \(limit == 1 ? "seat" : "seats") of this license, and all are in use; release one first."
        case .reservedForOthers:
            return "The \(reservedFreeSeats) free \(reservedFreeSeats == 1 ? "seat is" : "seats are") reserved by the site policy for other users or hosts."
        case .borrowNotAllowed:
            return "The site policy does not let this user or host borrow the license (an ordinary seat may still be acquired)."
        case .overBorrowMax:
            return "The site policy allows at most \(limit) \(limit == 1 ? "seat" : "seats") of this license out on borrow, and all are borrowed; wait for one to be returned."
        }
    }
}
