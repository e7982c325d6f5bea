import SeatCore
import SeatProtocol
import SeatStorage

extension ErrorReply {
    /// The one place where domain failures become wire error codes.
    init(_ failure: SeatFailure) {
        switch failure {
        case .unknownLicense:
            self.init(code: .unknownLicense, message: "no such license")
        case .license(.expired(let at)):
            self.init(code: .licenseExpired, message: "the license has expired", detail: .licenseExpired(at: at))
        case .license(.suspended):
            self.init(code: .licenseSuspended, message: "the license is suspended")
        case .license(.revoked):
            self.init(code: .licenseRevoked, message: "the license has been revoked")
        case .noSeats(let total, let inUse, let nextFreeAt):
            self.init(
                code: .noSeats,
                message: "all \(total) seats are in use",
                detail: .noSeats(seatsTotal: UInt32(clamping: total), seatsInUse: UInt32(clamping: inUse), nextFreeAt: nextFreeAt)
            )
        case .policy(let refusal, let total, let inUse):
            self.init(policyRefusal: refusal, seatsTotal: total, seatsInUse: inUse)
        case .unknownSession:
            self.init(code: .unknownSession, message: "no such session; acquire a seat")
        case .sessionEnded(.released):
            self.init(code: .sessionReleased, message: "the session was released; acquire a seat")
        case .sessionEnded(.expired):
            self.init(code: .sessionExpired, message: "the session's lease ran out; acquire a seat")
        case .sessionEnded(.revoked):
            self.init(code: .sessionRevoked, message: "the session was revoked by an administrator")
        case .storage(.full(let reason)):
            self.init(code: .storageFull, message: "the server's storage is full: \(reason)")
        case .storage(.fenced):
            // Another node took over while this one still served: nothing was stored, and the
            // client moves on to the server list's next node (this one stops serving).
            self.init(code: .notActive, message: "this node is no longer the active one; try the next server", detail: .activeNode(address: ""))
        case .storage(let error):
            self.init(code: .storageFailure, message: "the server could not store the change: \(error)")
        }
    }
}

extension ErrorReply {
    /// A `policyDenied` reply: the reason byte for clients, and the rule in the message for
    /// the user and the administrator.
    init(policyRefusal refusal: PolicyRefusal, seatsTotal: Int, seatsInUse: Int) {
        let reason: PolicyDenialReason
        let message: String
        var limit = 0
        var reservedFreeSeats = 0
        switch refusal {
        case .excluded(let principal):
            reason = .excluded
            message = "the site policy excludes \(principal) from this license"
        case .notIncluded:
            reason = .notIncluded
            message = "the site policy limits this license to listed users and hosts"
        case .overMax(let maximum, let principal):
            reason = .overMax
            limit = maximum
            message = "the site policy allows \(principal) at most \(maximum) \(maximum == 1 ? "seat" : "seats") of this license, all in use"
        case .reservedForOthers(let seats):
            reason = .reservedForOthers
            reservedFreeSeats = seats
            message = seats == 1 ? "the free seat is reserved by the site policy for others" : "the \(seats) free seats are reserved by the site policy for others"
        case .borrowNotAllowed(let principal?):
            reason = .borrowNotAllowed
            message = "the site policy does not let \(principal) borrow this license"
        case .borrowNotAllowed(nil):
            reason = .borrowNotAllowed
            message = "the site policy lets only listed users and hosts borrow this license"
        case .overBorrowMax(let maximum):
            reason = .overBorrowMax
            limit = maximum
            message = "the site policy allows at most \(maximum) \(maximum == 1 ? "seat" : "seats") of this license out on borrow, all borrowed"
        }
        self.init(code: .policyDenied, message: message, detail: .policyDenied(
            reason: reason, limit: UInt32(clamping: limit), seatsTotal: UInt32(clamping: seatsTotal),
            seatsInUse: UInt32(clamping: seatsInUse), reservedFreeSeats: UInt32(clamping: reservedFreeSeats)))
    }
}
