import SeatCore
import SeatLicensing
import SeatProtocol

/// The audit events of seat operations, built the same way wherever they are recorded.
///
/// `detail` names a session by its `SessionID` (what `seatctl sessions` shows), never by
/// its token: the token lets its holder heartbeat and release, and the audit log is
/// exported and shared.
extension AuditEvent {
    /// An overage grant (past the license's seats) says so in its detail, `session=… overage`,
    /// so the audit shows each one for the true-up.
    static func grant(_ session: Session, tenant: String, overage: Bool) -> AuditEvent {
        var event = sessionEvent(.grant, session, tenant: tenant, at: session.createdAt)
        if overage { event.detail += " overage" }
        return event
    }

    static func release(_ session: Session, tenant: String, at time: Timestamp) -> AuditEvent {
        sessionEvent(.release, session, tenant: tenant, at: time)
    }

    static func expiry(_ session: Session, tenant: String, at time: Timestamp) -> AuditEvent {
        sessionEvent(.expiry, session, tenant: tenant, at: time)
    }

    /// `administrator` is who forced it (the admin's name), kept next to the session.
    static func forceRelease(_ session: Session, tenant: String, by administrator: String, at time: Timestamp) -> AuditEvent {
        var event = sessionEvent(.forceRelease, session, tenant: tenant, at: time)
        event.detail += " by=" + administrator
        return event
    }

    /// `operation` names the action and its target, as `seatctl` spells it: `license.suspend ACME-1`.
    static func admin(_ operation: String, tenant: String, licenseKey: String = "", user: String, address: String, at time: Timestamp) -> AuditEvent {
        AuditEvent(time: time, kind: .admin, tenant: tenant, licenseKey: licenseKey, user: user, address: address, detail: operation)
    }

    /// A borrowed seat's events (its grant, return, expiry or force-release) also name its
    /// offline lease and when that expires, so the admin can tell a borrow from a seat in use.
    private static func sessionEvent(_ kind: AuditKind, _ session: Session, tenant: String, at time: Timestamp) -> AuditEvent {
        var detail = "session=" + SessionID(session.token).hex
        if let leaseID = session.borrowLeaseID {
            detail += " borrow_lease=\(BorrowLease.idText(leaseID)) borrow_until=\(session.leaseExpiresAt.iso8601)"
        }
        return AuditEvent(
            time: time, kind: kind, tenant: tenant, licenseKey: session.licenseKey, user: session.user,
            hostname: session.hostname, address: session.clientAddress, detail: detail)
    }
}

/// The counted audit kinds' keys. A refusal is counted per tenant, license and reason
/// (not per user or host: those a client can vary without limit); an authentication
/// failure per source address and reason.
extension AuditAggregator.Key {
    /// `detail` is the wire error code's name (`noSeats`, `licenseSuspended`, ...), so the
    /// audit log and the client's error agree; a policy refusal adds its reason
    /// (`policyDenied:overMax`), so a shortage and each kind of policy stay apart.
    static func refusal(_ request: SeatRequest, tenant: String, failure: SeatFailure) -> Self {
        let reply = ErrorReply(failure)
        var detail = reply.code.map { "\($0)" } ?? String(reply.rawCode)
        if case .policyDenied(let reason, _, _, _, _) = reply.detail { detail += ":\(reason)" }
        return Self(kind: .refusal, tenant: tenant, licenseKey: request.licenseKey, detail: detail)
    }

    static func authenticationFailure(address: String, reason: String) -> Self {
        Self(kind: .authFailure, address: address, detail: reason)
    }
}
