import NIOCore

// Protocol version 2 only adds fields at the end of Acquired (and so of QueueGranted, which
// ends with Acquired's fields) and Validated (the overage),
// and lets seatsInUse count the overage in use, so seatsInUse may exceed seatsTotal. A
// version 1 peer rejects trailing bytes and may rely on seatsInUse ≤ seatsTotal, so a
// server speaking version 1 sends neither.

extension ServerMessage {
    /// The message as a peer of protocol `version` understands it: for version 1, without
    /// the overage fields and with every seatsInUse capped at seatsTotal.
    public func spoken(in version: UInt16) -> ServerMessage {
        guard version < 2 else { return self }
        switch self {
        case .acquired(let grant):
            return .acquired(grant.inVersion1)
        case .validated(var result):
            result.overageSeats = nil
            result.seatsInUse = min(result.seatsInUse, result.seatsTotal)
            return .validated(result)
        case .released(var result):
            result.seatsInUse = min(result.seatsInUse, result.seatsTotal)
            return .released(result)
        case .queued(var place):
            place.seatsInUse = min(place.seatsInUse, place.seatsTotal)
            return .queued(place)
        case .queuePosition(var notice):
            notice.place.seatsInUse = min(notice.place.seatsInUse, notice.place.seatsTotal)
            return .queuePosition(notice)
        case .queueGranted(var notice):
            notice.grant = notice.grant.inVersion1
            return .queueGranted(notice)
        case .borrowed(var grant):
            // A borrow takes no overage seat, but may share a seat while others are in overage.
            grant.seatsInUse = min(grant.seatsInUse, grant.seatsTotal)
            return .borrowed(grant)
        case .error(var reply):
            switch reply.detail {
            case .noSeats(let total, let inUse, let nextFreeAt):
                reply.detail = .noSeats(seatsTotal: total, seatsInUse: min(inUse, total), nextFreeAt: nextFreeAt)
            case .policyDenied(let reason, let limit, let total, let inUse, let reservedFreeSeats):
                reply.detail = .policyDenied(reason: reason, limit: limit, seatsTotal: total, seatsInUse: min(inUse, total), reservedFreeSeats: reservedFreeSeats)
            default:
                break
            }
            return .error(reply)
        case .helloAccepted, .heartbeatAccepted, .authenticated, .adminReply, .sessionRevoked, .waitEnded:
            return self
        }
    }
}

private extension AcquireGrant {
    var inVersion1: AcquireGrant {
        var grant = self
        grant.overage = nil
        grant.seatsInUse = min(seatsInUse, seatsTotal)
        return grant
    }
}

extension ByteBuffer {
    /// Acquired's version 2 fields, if the body goes on after the features.
    mutating func readGrantOverageIfPresent() throws(WireError) -> GrantOverage? {
        guard readableBytes > 0 else { return nil }
        return GrantOverage(overageSeats: try readWireInteger("overageSeats"), isOverage: try readWireBool("overage"))
    }

    /// Validated's version 2 field, if the body goes on after seatsInUse.
    mutating func readOverageSeatsIfPresent() throws(WireError) -> UInt32? {
        guard readableBytes > 0 else { return nil }
        return try readWireInteger("overageSeats")
    }
}
