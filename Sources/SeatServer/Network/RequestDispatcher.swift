import SeatCore
import SeatProtocol

/// Turns a decoded request into a call on `SeatService` (or the access registry, or the
/// admin dispatcher) and its result into a reply, and counts it (after the license actor
/// has answered, so metrics never lengthen a critical section).
struct RequestDispatcher: Sendable {
    /// A reply, and whether the connection must close after it is sent.
    struct Outcome {
        var reply: ServerMessage
        var closeAfterReply = false
    }

    let service: SeatService
    let access: AccessRegistry
    let gate: AuthenticationGate
    let connections: ConnectionDirectory
    let admin: AdminDispatcher
    let audit: AuditLog
    let metrics: SeatMetrics

    func respond(to message: ClientMessage, on link: ConnectionLink) async -> Outcome {
        switch message {
        case .authenticate(let accessKey):
            return await authenticate(accessKey, on: link)
        case .admin(let request):
            guard let principal = link.principal, principal.isAdministrator else {
                return Outcome(reply: .error(ErrorReply(code: .notAuthorized, message: "admin requests need the admin socket or an admin access key")))
            }
            return Outcome(reply: await admin.respond(to: request.json, as: principal, from: link.peerAddress))
        case .hello, .acquire, .heartbeat, .release, .validate:
            guard let principal = link.principal else {
                return Outcome(reply: .error(ErrorReply(code: .authenticationRequired, message: "authenticate with an access key first (SEATD_ACCESS_KEY)")))
            }
            return Outcome(reply: await respond(to: message, as: principal, on: link))
        }
    }

    private func authenticate(_ accessKey: String, on link: ConnectionLink) async -> Outcome {
        guard link.principal?.keyID == nil else {
            return Outcome(reply: .error(ErrorReply(code: .unexpectedMessage, message: "this connection is already authenticated")))
        }
        if let wait = gate.retryAfter(address: link.peerAddress) {
            metrics.recordAuthentication(succeeded: false)
            audit.record(.authenticationFailure(address: link.peerAddress, reason: "throttled", at: WallClock.now()))
            return Outcome(
                reply: .error(ErrorReply(
                    code: .authenticationThrottled,
                    message: "too many failed authentications from \(link.peerAddress); try again in \((wait + 999) / 1000) s",
                    detail: .retryAfter(milliseconds: UInt32(clamping: wait))
                )),
                closeAfterReply: true
            )
        }
        guard let key = await access.authenticate(accessKey) else {
            gate.recordFailure(address: link.peerAddress)
            metrics.recordAuthentication(succeeded: false)
            let keyID = AccessKeySecret(parsing: accessKey)?.id
            audit.record(.authenticationFailure(
                address: link.peerAddress, reason: keyID.map { "unknown or revoked key \($0)" } ?? "malformed key", at: WallClock.now()))
            return Outcome(reply: .error(ErrorReply(code: .authenticationFailed, message: "the access key is unknown or revoked")), closeAfterReply: true)
        }
        let principal = Principal(key)
        link.authenticate(as: principal)
        metrics.recordAuthentication(succeeded: true)
        return Outcome(reply: .authenticated(Authenticated(tenant: principal.tenant ?? "", role: key.role == .admin ? .admin : .client)))
    }

    private func respond(to message: ClientMessage, as principal: Principal, on link: ConnectionLink) async -> ServerMessage {
        let started = ContinuousClock.now
        let reply = await answer(message, as: principal, on: link)
        if let operation = Self.operation(of: message) {
            metrics.recordRequest(operation, duration: ContinuousClock.now - started)
        }
        switch reply {
        case .acquired(let grant):
            (grant.reattached ? metrics.reattachments : metrics.grants).increment()
        case .heartbeatAccepted:
            metrics.heartbeats.increment()
        case .released(let result) where result.ended:
            metrics.releases.increment()
        case .error(let error):
            metrics.recordRefusal(error.code ?? .internalError)
        default:
            break
        }
        return reply
    }

    private static func operation(of message: ClientMessage) -> SeatMetrics.Operation? {
        switch message {
        case .acquire: .acquire
        case .heartbeat: .heartbeat
        case .release: .release
        case .validate: .validate
        case .hello, .authenticate, .admin: nil
        }
    }

    private func answer(_ message: ClientMessage, as principal: Principal, on link: ConnectionLink) async -> ServerMessage {
        switch message {
        case .hello:
            return .error(ErrorReply(code: .unexpectedMessage, message: "Hello was already received"))
        case .authenticate, .admin:
            preconditionFailure("answered by respond(to:on:)")

        case .acquire(let request):
            let seatRequest = SeatRequest(
                licenseKey: request.licenseKey,
                user: request.user,
                hostname: request.hostname,
                hardwareID: request.hardwareID,
                clientVersion: request.clientVersion,
                clientAddress: link.peerAddress
            )
            let result = await service.acquire(seatRequest, as: principal)
            if case .failure(let failure) = result {
                audit.record(.refusal(seatRequest, tenant: principal.tenant ?? "", failure: failure, at: WallClock.now()))
            }
            return reply(result) { success in
                connections.attach(success.session.token, to: link)
                return .acquired(AcquireGrant(
                    token: success.session.token,
                    leaseExpiresAt: success.session.leaseExpiresAt,
                    heartbeatIntervalMilliseconds: heartbeatInterval,
                    seatsTotal: UInt32(clamping: success.license.seats),
                    seatsInUse: UInt32(clamping: success.seatsInUse),
                    reattached: success.reattached,
                    tier: success.license.tier,
                    licenseExpiresAt: success.license.expiresAt,
                    features: success.license.features
                ))
            }

        case .heartbeat(let token):
            return reply(await service.heartbeat(token, as: principal)) { session in
                connections.attach(token, to: link)
                return .heartbeatAccepted(HeartbeatAccepted(leaseExpiresAt: session.leaseExpiresAt, heartbeatIntervalMilliseconds: heartbeatInterval))
            }

        case .release(let token):
            return reply(await service.release(token, as: principal)) { success in
                .released(ReleaseResult(ended: success.ended, seatsTotal: UInt32(clamping: success.seatsTotal), seatsInUse: UInt32(clamping: success.seatsInUse)))
            }

        case .validate(let licenseKey):
            return reply(await service.validate(licenseKey: licenseKey, as: principal)) { snapshot in
                .validated(ValidateResult(
                    status: LicenseStatus(snapshot.license.refusal(at: WallClock.now())),
                    tier: snapshot.license.tier,
                    licenseExpiresAt: snapshot.license.expiresAt,
                    features: snapshot.license.features,
                    seatsTotal: UInt32(clamping: snapshot.license.seats),
                    seatsInUse: UInt32(clamping: snapshot.seatsInUse)
                ))
            }
        }
    }

    private var heartbeatInterval: UInt32 { UInt32(clamping: service.policy.heartbeatIntervalMilliseconds) }

    private func reply<Success>(_ result: Result<Success, SeatFailure>, _ makeReply: (Success) -> ServerMessage) -> ServerMessage {
        switch result {
        case .success(let value): makeReply(value)
        case .failure(let failure): .error(ErrorReply(failure))
        }
    }
}

extension LicenseStatus {
    init(_ refusal: LicenseRefusal?) {
        switch refusal {
        case nil: self = .valid
        case .expired: self = .expired
        case .suspended: self = .suspended
        case .revoked: self = .revoked
        }
    }
}
