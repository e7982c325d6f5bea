import SeatCore

/// One change to persistent state. Changes are applied in the order they were enqueued.
public enum StoreChange: Sendable, Equatable {
    /// Upsert by license key.
    case putLicense(License)
    case deleteLicense(key: String)
    /// Upsert a live session (key: token).
    case putSession(Session)
    /// Updates an existing live session only; a no-op when the record is absent, so a
    /// late lazy heartbeat can never resurrect an ended session.
    case refreshLease(token: SessionToken, lastHeartbeatAt: Timestamp, leaseExpiresAt: Timestamp)
    /// Deletes the live session record and writes its tombstone.
    case endSession(EndedSession)
    /// Upsert by tenant id.
    case putTenant(Tenant)
    case deleteTenant(id: String)
    /// Upsert by key id (revoking rewrites the key with `revokedAt` set).
    case putAccessKey(AccessKey)
    /// Appends an event to the audit log; storage assigns its sequence (and so ignores
    /// `sequence`). In the same commit as the change it records, both or neither are stored.
    case appendAudit(AuditEvent)
}
