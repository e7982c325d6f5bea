import CSeatClient
import SeatClient
import SeatCore
import SeatProtocol

/// `LeaseState` in the C API's terms.
enum CEvent {
    static func state(_ state: LeaseState) -> seat_state {
        switch state {
        case .held: SEAT_STATE_HELD
        case .reconnecting: SEAT_STATE_RECONNECTING
        case .regained: SEAT_STATE_REGAINED
        case .lost: SEAT_STATE_LOST
        case .waitingForSeat: SEAT_STATE_WAITING_FOR_SEAT
        case .revoked: SEAT_STATE_REVOKED
        case .released: SEAT_STATE_RELEASED
        case .cancelled: SEAT_STATE_CANCELLED
        }
    }

    static func make(_ state: LeaseState) -> seat_event {
        var event = seat_event()
        event.state = Self.state(state)
        event.is_final = state.isFinal ? 1 : 0
        event.is_held = state.isHeld ? 1 : 0
        switch state {
        case .held(let grant):
            fill(&event, grant)
        case .regained(let grant, let recovery):
            fill(&event, grant)
            event.same_session = recovery == .sameSession ? 1 : 0
        case .reconnecting(let interruption):
            event.code = code(of: interruption.cause)
            event.attempt = Int32(clamping: interruption.attempt)
            event.retry_in_ms = interruption.retryIn.inMilliseconds
            event.lease_expires_at_ms = interruption.lastConfirmedExpiry?.millisecondsSinceEpoch ?? 0
            CStrings.copy(interruption.session?.hex ?? "", into: &event.session)
            CStrings.copy(interruption.cause.description, into: &event.message)
        case .lost(let loss), .revoked(let loss):
            event.code = Int32(loss.reply.rawCode)
            event.will_reacquire = loss.willReacquire ? 1 : 0
            CStrings.copy(loss.session?.hex ?? "", into: &event.session)
            CStrings.copy(loss.reply.message, into: &event.message)
        case .waitingForSeat(let shortage):
            event.seats_total = shortage.seatsTotal
            event.seats_in_use = shortage.seatsInUse
            event.retry_in_ms = shortage.retryIn.inMilliseconds
        case .released, .cancelled:
            break
        }
        return event
    }

    private static func fill(_ event: inout seat_event, _ grant: AcquireGrant) {
        event.lease_expires_at_ms = grant.leaseExpiresAt.millisecondsSinceEpoch
        event.seats_total = grant.seatsTotal
        event.seats_in_use = grant.seatsInUse
        CStrings.copy(grant.token.hex, into: &event.session)
    }

    /// The code seat.h gives a failure the lease retries after.
    static func code(of failure: LeaseFailure) -> Int32 {
        switch failure {
        case .unreachable: SEAT_ERR_UNREACHABLE
        case .connectionLost: SEAT_ERR_CONNECTION_CLOSED
        case .timedOut: SEAT_ERR_TIMED_OUT
        case .server(let reply): Int32(reply.rawCode)
        }
    }
}
