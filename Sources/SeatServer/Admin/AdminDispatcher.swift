import Foundation
import Logging
import SeatCore
import SeatLicensing
import SeatProtocol
import SeatStorage

/// Carries out admin requests (docs/admin-protocol.md). Reached only by principals with
/// the admin role; RequestDispatcher checks that before calling.
struct AdminDispatcher: Sendable {
    /// What the dispatcher needs from the rest of the daemon besides seats and access.
    struct Hooks: Sendable {
        /// Parses and verifies a license document (signatures per configuration).
        var verifyLicenses: @Sendable (_ document: Data, _ origin: LicenseOrigin) throws -> [License]
        /// Whether unsigned licenses may be added (development mode).
        var allowsUnsignedLicenses: @Sendable () -> Bool
        var reload: @Sendable () async throws -> Void
        var shutdown: @Sendable () -> Void
    }

    let service: SeatService
    let access: AccessRegistry
    let audit: AuditLog
    let reports: UsageReports
    let hooks: Hooks
    /// What clients trust for offline leases (`borrow.public_key`).
    let borrowPublicKey: BorrowPublicKey
    let metrics: SeatMetrics
    /// With storage = postgresql, the node's place in its group (`status`'s `cluster`).
    var cluster: ClusterState? = nil
    let clock: any ServerClock
    let logger: Logger

    func respond(to json: String, as principal: Principal, from address: String) async -> ServerMessage {
        metrics.adminRequests.increment()
        // Who acted, as the audit log and the log show it.
        let administrator = principal.actor
        let arguments: AdminArguments
        do {
            arguments = try AdminArguments(json: json)
        } catch {
            return .error(ErrorReply(error))
        }
        let readOnly = Self.readOnly.contains(arguments.operation)
        do {
            let reply = try await perform(arguments, as: principal, by: administrator)
            if !readOnly { await record(arguments, outcome: nil, by: administrator, from: address) }
            return .adminReply(json: AdminJSON.encode(reply))
        } catch {
            // A refused change is on record too: who tried what, and why it was refused.
            let reply = ErrorReply(error)
            if !readOnly { await record(arguments, outcome: reply, by: administrator, from: address) }
            return .error(reply)
        }
    }

    /// Logs and durably audits a change, done (`outcome` nil) or refused.
    private func record(_ arguments: AdminArguments, outcome refusal: ErrorReply?, by administrator: String, from address: String) async {
        var operation = Self.describe(arguments)
        if let refusal { operation += " failed: \(refusal.code.map { "\($0)" } ?? String(refusal.rawCode)): \(refusal.message)" }
        logger.notice(refusal == nil ? "admin request" : "admin request refused", metadata: ["op": "\(operation)", "from": "\(address)", "by": "\(administrator)"])
        do {
            try await audit.recordDurably(.admin(
                operation, tenant: (try? arguments.optionalString("tenant")) ?? "",
                licenseKey: (try? arguments.optionalString("key")) ?? "", user: administrator, address: address, at: clock.now()))
        } catch {
            // The action itself is done and durable; say loudly that its record is missing.
            logger.error("admin action not recorded in the audit log", metadata: ["op": "\(operation)", "error": "\(error)"])
        }
    }

    /// The action as the log and the audit log show it: `license.suspend ACME-1`,
    /// `release user=bob`.
    private static func describe(_ arguments: AdminArguments) -> String {
        var words = [arguments.operation]
        for name in ["key", "id", "tenant"] {
            if let target = (try? arguments.optionalString(name)) ?? nil {
                words.append(target)
                break
            }
        }
        if arguments.operation == "release" {
            for name in ["session", "license", "user", "host"] {
                if let value = (try? arguments.optionalString(name)) ?? nil { words.append("\(name)=\(value)") }
            }
        }
        return words.joined(separator: " ")
    }

    private static let readOnly: Set<String> = ["status", "sessions", "license.list", "tenant.list", "key.list", "audit", "policy", "queue", "report", "borrow.public_key"]

    private func perform(_ arguments: AdminArguments, as principal: Principal, by administrator: String) async throws(AdminFailure) -> [String: Any] {
        switch arguments.operation {
        case "status":
            var reply: [String: Any] = ["licenses": await licenses(tenant: try arguments.optionalString("tenant"))]
            if let cluster { reply["cluster"] = cluster.current.json }
            return reply
        case "license.list":
            return ["licenses": await licenses(tenant: try arguments.optionalString("tenant"))]
        case "sessions":
            let filter = try sessionFilter(arguments)
            return ["sessions": await service.sessions(matching: filter).map { AdminJSON.session($0.session, license: $0.license) }]
        case "queue":
            let queues = await service.waiters(tenant: try arguments.optionalString("tenant"), licenseKey: try arguments.optionalString("license"))
            return ["waiters": queues.flatMap { queue in
                queue.waiters.enumerated().map { AdminJSON.waiter($1, position: $0 + 1, tenant: queue.license.tenant) }
            }]
        case "release":
            return try await release(arguments, by: administrator)
        case "borrow.public_key":
            return ["public_key": borrowPublicKey.base64]
        case "license.add":
            return try await addLicense(arguments, by: administrator)
        case "license.import":
            return try await importLicenses(arguments, by: administrator)
        case "license.suspend":
            return try await setState(arguments, .suspended, by: administrator)
        case "license.resume":
            return try await setState(arguments, .active, by: administrator)
        case "license.revoke":
            return try await setState(arguments, .revoked, by: administrator)
        case "license.delete":
            let (license, changes) = try await service.deleteLicense(try arguments.string("key"), by: administrator)
            return ["license": AdminJSON.license(license, seatsInUse: 0, now: clock.now()), "sessions_ended": changes.sessionsRevoked]
        case "tenant.add":
            let tenant = try await access.addTenant(id: try arguments.string("id"), name: try arguments.optionalString("name") ?? "")
            return ["tenant": AdminJSON.tenant(tenant, licenses: 0, keys: 0)]
        case "tenant.list":
            return ["tenants": await tenants()]
        case "tenant.delete":
            return try await deleteTenant(try arguments.string("id"))
        case "key.create":
            return try await createKey(arguments)
        case "key.list":
            return ["keys": await access.keys(tenant: try arguments.optionalString("tenant")).map(AdminJSON.key)]
        case "key.revoke":
            // The registry closes the key's connections.
            let key = try await access.revokeKey(try arguments.string("id"))
            return ["key": AdminJSON.key(key)]
        case "audit":
            return try auditEvents(arguments)
        case "policy":
            return await policyInForce(tenant: try arguments.optionalString("tenant"))
        case "report":
            return try await reports.report(arguments, as: principal)
        case "reload":
            do {
                try await hooks.reload()
            } catch {
                throw .conflict("reload rejected: \(error)")
            }
            return ["reloaded": true]
        case "shutdown":
            hooks.shutdown()
            return ["stopping": true]
        default:
            throw .invalidRequest("unknown op \"\(arguments.operation)\"")
        }
    }

    private func auditEvents(_ arguments: AdminArguments) throws(AdminFailure) -> [String: Any] {
        var kinds: Set<AuditKind> = []
        for name in try arguments.optionalStrings("kinds") ?? [] {
            guard let kind = AuditKind(rawValue: name) else {
                throw .invalidRequest("unknown audit kind \"\(name)\"; kinds are \(AuditKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kinds.insert(kind)
        }
        let limit = try arguments.optionalInteger("limit") ?? 1000
        guard (1...10_000).contains(limit) else { throw .invalidRequest("\"limit\" must be 1...10000") }
        var after: AuditCursor?
        if let cursor = try arguments.optionalString("after") {
            let parts = cursor.split(separator: ":")
            guard parts.count == 2, let milliseconds = Int64(parts[0]), let sequence = UInt64(parts[1]) else {
                throw .invalidRequest("\"after\" must be a \"next\" value from an earlier audit reply")
            }
            after = AuditCursor(time: Timestamp(millisecondsSinceEpoch: milliseconds), sequence: sequence)
        }
        let query = AuditQuery(
            since: try arguments.optionalTime("since"), until: try arguments.optionalTime("until"),
            tenant: try arguments.optionalString("tenant"), licenseKey: try arguments.optionalString("license"),
            user: try arguments.optionalString("user"), kinds: kinds, after: after, limit: limit
        )
        let page: AuditPage
        do {
            page = try audit.events(query)
        } catch {
            throw .storage(error)
        }
        // Each event is exactly its JSON-lines export form.
        let events = page.events.compactMap { try? JSONSerialization.jsonObject(with: Data($0.jsonLine.utf8)) }
        var reply: [String: Any] = ["events": events, "complete": page.isComplete]
        if let next = page.nextCursor ?? after { reply["next"] = next.description }
        return reply
    }

    /// Each license with its seats, and how many of them are out on borrow (under user or
    /// host counting, the seats with a borrowed session on them).
    private func licenses(tenant: String?) async -> [[String: Any]] {
        let now = clock.now()
        var borrowed: [String: [Session]] = [:]
        for (license, session) in await service.sessions(matching: SessionFilter(tenant: tenant)) where session.isBorrowed {
            borrowed[license.key, default: []].append(session)
        }
        return await service.licenseSnapshots()
            .filter { tenant == nil || $0.license.tenant == tenant }
            .sorted { $0.license.key < $1.license.key }
            .map { snapshot in
                var object = AdminJSON.license(snapshot.license, seatsInUse: snapshot.seatsInUse, waiting: snapshot.waiting, now: now)
                object["borrowed"] = snapshot.license.seatCounting.seatHolders(of: borrowed[snapshot.license.key] ?? []).count
                return object
            }
    }

    private func sessionFilter(_ arguments: AdminArguments) throws(AdminFailure) -> SessionFilter {
        SessionFilter(
            tenant: try arguments.optionalString("tenant"),
            licenseKey: try arguments.optionalString("license"),
            user: try arguments.optionalString("user"),
            hostname: try arguments.optionalString("host"),
            sessionIDPrefix: try arguments.optionalString("session")?.lowercased()
        )
    }

    private func release(_ arguments: AdminArguments, by administrator: String) async throws(AdminFailure) -> [String: Any] {
        let filter = try sessionFilter(arguments)
        guard filter.licenseKey != nil || filter.user != nil || filter.hostname != nil || filter.sessionIDPrefix != nil else {
            throw .invalidRequest("\"release\" needs at least one of \"session\", \"license\", \"user\", \"host\"")
        }
        if let prefix = filter.sessionIDPrefix {
            guard prefix.count >= 4, prefix.allSatisfy(\.isHexDigit) else {
                throw .invalidRequest("\"session\" must be a session id or a prefix of at least 4 hex digits")
            }
            let matches = await service.sessions(matching: filter)
            if matches.count > 1, filter.licenseKey == nil, filter.user == nil, filter.hostname == nil {
                throw .conflict("session id prefix '\(prefix)' matches \(matches.count) sessions; give more digits")
            }
        }
        let released = try await service.forceRelease(matching: filter, by: administrator)
        guard !released.isEmpty else { throw .notFound("no live session matches") }
        return ["released": released.map { AdminJSON.session($0.session, license: $0.license) }]
    }

    private func addLicense(_ arguments: AdminArguments, by administrator: String) async throws(AdminFailure) -> [String: Any] {
        guard hooks.allowsUnsignedLicenses() else {
            throw .conflict("license.add creates an unsigned license, accepted only with development_mode = true; import a vendor-signed license instead")
        }
        let entry = try arguments.object("license")
        let license = try verify(["licenses": [entry]]).first!
        if let existing = await service.licenseSnapshot(license.key) {
            throw .conflict("license \(existing.license.key) already exists; import a new version or delete it first")
        }
        try await ensureTenants([license])
        _ = try await service.upsertLicenses([license], by: administrator)
        return ["license": AdminJSON.license(license, seatsInUse: 0, now: clock.now())]
    }

    private func importLicenses(_ arguments: AdminArguments, by administrator: String) async throws(AdminFailure) -> [String: Any] {
        let licenses = try verify(try arguments.object("document"))
        try await ensureTenants(licenses)
        let changes = try await service.upsertLicenses(licenses, by: administrator)
        return ["added": changes.added, "updated": changes.updated, "unchanged": changes.unchanged]
    }

    private func verify(_ document: Any) throws(AdminFailure) -> [License] {
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: document)
            return try hooks.verifyLicenses(data, .admin)
        } catch let failure as AdminFailure {
            throw failure
        } catch {
            throw .notVerified("\(error)")
        }
    }

    private func ensureTenants(_ licenses: [License]) async throws(AdminFailure) {
        do {
            try await access.ensureTenants(Set(licenses.map(\.tenant)))
        } catch {
            throw .storage(error)
        }
    }

    private func setState(_ arguments: AdminArguments, _ state: LicenseState, by administrator: String) async throws(AdminFailure) -> [String: Any] {
        let (license, changes) = try await service.setLicenseState(try arguments.string("key"), to: state, by: administrator)
        let seatsInUse = await service.licenseSnapshot(license.key)?.seatsInUse ?? 0
        return ["license": AdminJSON.license(license, seatsInUse: seatsInUse, now: clock.now()), "sessions_ended": changes.sessionsRevoked]
    }

    private func tenants() async -> [[String: Any]] {
        let snapshots = await service.licenseSnapshots()
        var result: [[String: Any]] = []
        for tenant in await access.tenants {
            let licenses = snapshots.filter { $0.license.tenant == tenant.id }.count
            result.append(AdminJSON.tenant(tenant, licenses: licenses, keys: await access.keyCount(tenant: tenant.id)))
        }
        return result
    }

    private func deleteTenant(_ id: String) async throws(AdminFailure) -> [String: Any] {
        let licenses = await service.licenseSnapshots().filter { $0.license.tenant == id }.count
        guard licenses == 0 else { throw .conflict("tenant '\(id)' still has \(licenses) license(s); delete them first") }
        let tenant = try await access.deleteTenant(id)
        return ["tenant": AdminJSON.tenant(tenant, licenses: 0, keys: 0)]
    }

    private func createKey(_ arguments: AdminArguments) async throws(AdminFailure) -> [String: Any] {
        let roleName = try arguments.optionalString("role") ?? "client"
        guard let role = AccessRole(rawValue: roleName) else { throw .invalidRequest("\"role\" must be \"client\", \"viewer\" or \"admin\"") }
        let (key, secret) = try await access.createKey(tenant: try arguments.optionalString("tenant"), role: role, label: try arguments.optionalString("label") ?? "")
        return ["key": AdminJSON.key(key), "secret": secret]
    }
}
