extension StoreChange {
    /// The change's kind and key, for log lines: never a record's contents, and only the
    /// prefix of a session token (`SessionToken.description`).
    var logSummary: String {
        switch self {
        case .putLicense(let license): "putLicense \(Self.loggable(license.key))"
        case .deleteLicense(let key): "deleteLicense \(Self.loggable(key))"
        case .putSession(let session): "putSession \(session.token)"
        case .refreshLease(let token, _, _): "refreshLease \(token)"
        case .endSession(let ended): "endSession \(ended.token)"
        case .putTenant(let tenant): "putTenant \(Self.loggable(tenant.id))"
        case .deleteTenant(let id): "deleteTenant \(Self.loggable(id))"
        case .putAccessKey(let accessKey): "putAccessKey \(Self.loggable(accessKey.id))"
        case .appendAudit(let event): "appendAudit \(event.kind.rawValue)"
        }
    }

    /// A key as written, cut short: the refused one may be hundreds of bytes long.
    private static func loggable(_ key: String) -> String {
        let limit = 40
        guard key.utf8.count > limit else { return "\"\(key)\"" }
        return "\"\(key.prefix(limit))…\" (\(key.utf8.count) bytes)"
    }
}
