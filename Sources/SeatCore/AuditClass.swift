/// Retention classes of the audit log. Each class has its own size budget and is purged
/// on its own, so a flood of one class can only evict older events of that class.
public enum AuditClass: String, Sendable, Hashable, CaseIterable {
    /// Administrative actions and force-releases: what administrators did.
    case admin
    /// Authentication failures (aggregated per address and reason).
    case security
    /// Grants, releases and expiries: bounded by seat activity.
    case session
    /// Refused acquires (aggregated per license and reason): what any client can cause.
    case volume
}

extension AuditKind {
    public var auditClass: AuditClass {
        switch self {
        case .admin, .forceRelease: .admin
        case .authFailure: .security
        case .grant, .release, .expiry: .session
        case .refusal: .volume
        }
    }
}
