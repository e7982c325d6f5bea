import SeatCore
import SeatLicensing
import SeatProtocol

/// Turns a decoded request into a call on `SeatService` (or the access registry, or the
/// admin dispatcher) and its result into a reply, and counts it (after the license actor
/// has answered, so metrics never lengthen a critical section). Seat requests and
/// authentication are answered without a task: on the license's event loop, or at once.
/// Admin requests run as a task (they await storage and several actors).
struct RequestDispatcher: RequestResponder {
    let service: SeatService
    let access: AccessRegistry
    let gate: AuthenticationGate
    let connections: ConnectionDirectory
    let admin: AdminDispatcher
    let audit: AuditLog
    let seatEvents: SeatEventLog
    let metrics: SeatMetrics
    let clock: any ServerClock
    /// Signs the offline lease of every borrowed seat.
    let borrowKey: BorrowSigningKey

    func respond(to message: ClientMessage, requestID: UInt32, on link: ConnectionLink, completion: @escaping @Sendable (RequestOutcome) -> Void) {
        switch message {
        case .authenticate(let accessKey):
            completion(authenticate(accessKey, on: link))
        case .admin(let request):
            guard let principal = link.principal, principal.isAdministrator else {
                return completion(RequestOutcome(reply: .error(ErrorReply(code: .notAuthorized, message: "admin requests need the admin socket or an admin access key"))))
            }
            Task { [admin] in
                completion(RequestOutcome(reply: await admin.respond(to: request.json, as: principal, from: link.peerAddress)))
            }
        case .hello, .acquire, .acquireOrWait, .heartbeat, .release, .validate, .borrow:
            guard let principal = link.principal else {
                return completion(RequestOutcome(reply: .error(ErrorReply(code: .authenticationRequired, message: "authenticate with an access key first (SEATD_ACCESS_KEY)"))))
            }
            let started = ContinuousClock.now
            answer(message, requestID: requestID, as: principal, on: link) { reply in
                count(message, reply, as: principal, since: started)
                completion(RequestOutcome(reply: reply))
            }
        }
    }

    private func authenticate(_ accessKey: String, on link: ConnectionLink) -> RequestOutcome {
        guard link.principal?.keyID == nil else {
            return RequestOutcome(reply: .error(ErrorReply(code: .unexpectedMessage, message: "this connection is already authenticated")))
        }
        let address = link.peerAddress
        let check = AuthenticationCheck(access: access, gate: gate, audit: audit, seatEvents: seatEvents, metrics: metrics, clock: clock)
        // The registry marks the link while it holds the key table, so a revocation
        // cannot slip between the lookup and the mark.
        switch check.attempt(accessKey, from: address, verify: { access.authenticate($0, on: link) }) {
        case .throttled(let wait):
            return RequestOutcome(
                reply: .error(ErrorReply(
                    code: .authenticationThrottled,
                    message: "too many failed authentications from \(address); try again in \((wait + 999) / 1000) s",
                    detail: .retryAfter(milliseconds: UInt32(clamping: wait))
                )),
                closeAfterReply: true
            )
        case .failed(let failure):
            let message = if case .viewerKey = failure { "a viewer key signs in to the dashboard only" } else { "the access key is unknown or revoked" }
            return RequestOutcome(reply: .error(ErrorReply(code: .authenticationFailed, message: message)), closeAfterReply: true)
        case .accepted(let principal):
            return RequestOutcome(reply: .authenticated(Authenticated(tenant: principal.tenant ?? "", role: principal.isAdministrator ? .admin : .client)))
        }
    }

    private func count(_ message: ClientMessage, _ reply: ServerMessage, as principal: Principal, since started: ContinuousClock.Instant) {
        if let operation = Self.operation(of: message) {
            metrics.recordRequest(operation, duration: ContinuousClock.now - started)
        }
        switch reply {
        case .acquired(let grant):
            (grant.reattached ? metrics.reattachments : metrics.grants).increment()
        case .borrowed(let grant):
            (grant.reattached ? metrics.reattachments : metrics.grants).increment()
        case .heartbeatAccepted:
            metrics.heartbeats.increment()
        case .released(let result) where result.ended:
            metrics.releases.increment()
        case .error(let error):
            metrics.recordRefusal(error.code ?? .internalError, license: Self.licenseKey(of: message), tenant: principal.tenant ?? "")
        default:
            break
        }
    }

    private static func licenseKey(of message: ClientMessage) -> String {
        switch message {
        case .acquire(let request), .acquireOrWait(let request): request.licenseKey
        case .borrow(let request): request.seat.licenseKey
        case .validate(let licenseKey): licenseKey
        default: ""
        }
    }

    private static func operation(of message: ClientMessage) -> SeatMetrics.Operation? {
        switch message {
        case .acquire, .acquireOrWait: .acquire
        case .borrow: .borrow
        case .heartbeat: .heartbeat
        case .release: .release
        case .validate: .validate
        case .hello, .authenticate, .admin: nil
        }
    }

    func connectionClosed(_ link: ConnectionLink) {
        service.dropWaits(of: link)
    }

    private func answer(_ message: ClientMessage, requestID: UInt32, as principal: Principal, on link: ConnectionLink, reply: @escaping @Sendable (ServerMessage) -> Void) {
        switch message {
        case .hello:
            reply(.error(ErrorReply(code: .unexpectedMessage, message: "Hello was already received")))
        case .authenticate, .admin:
            preconditionFailure("answered by respond(to:on:completion:)")

        case .acquire(let request):
            let seatRequest = SeatRequest(request, from: link, as: principal)
            let heartbeatInterval = heartbeatInterval
            acquire(seatRequest, as: principal) { [connections] result in
                reply(Self.reply(result) { success in
                    connections.attach(success.session.token, to: link)
                    return .acquired(AcquireGrant(success, heartbeatInterval: heartbeatInterval))
                })
            }

        case .acquireOrWait(let request):
            let seatRequest = SeatRequest(request, from: link, as: principal)
            let heartbeatInterval = heartbeatInterval
            service.acquireOrWait(seatRequest, requestID: requestID, as: principal, on: link) { [connections] result in
                if case .failure(let failure) = result { recordRefusal(of: seatRequest, as: principal, failure) }
                reply(Self.reply(result) { outcome in
                    switch outcome {
                    case .acquired(let success):
                        connections.attach(success.session.token, to: link)
                        return .acquired(AcquireGrant(success, heartbeatInterval: heartbeatInterval))
                    case .queued(let place):
                        return .queued(place)
                    }
                })
            }

        case .borrow(let request):
            var seatRequest = SeatRequest(request.seat, from: link, as: principal)
            seatRequest.borrowMilliseconds = Int64(request.durationMinutes) * 60_000
            acquire(seatRequest, as: principal) { [connections, borrowKey] result in
                reply(Self.reply(result) { success in
                    // Signing cannot fail with a valid key; if it ever did, the seat stays
                    // granted and the client's next Borrow re-attaches and is signed again.
                    let lease: [UInt8]
                    do {
                        lease = try borrowKey.sign(BorrowLease(success.session, tenant: success.license.tenant))
                    } catch {
                        return .error(ErrorReply(code: .internalError, message: "the offline lease could not be signed: \(error)"))
                    }
                    connections.attach(success.session.token, to: link)
                    return .borrowed(BorrowGrant(
                        token: success.session.token,
                        expiresAt: success.session.leaseExpiresAt,
                        seatsTotal: UInt32(clamping: success.license.seats),
                        seatsInUse: UInt32(clamping: success.seatsInUse),
                        reattached: success.reattached,
                        lease: lease
                    ))
                })
            }

        case .heartbeat(let token):
            let heartbeatInterval = heartbeatInterval
            service.heartbeat(token, as: principal) { [connections] result in
                reply(Self.reply(result) { session in
                    connections.attach(token, to: link)
                    return .heartbeatAccepted(HeartbeatAccepted(leaseExpiresAt: session.leaseExpiresAt, heartbeatIntervalMilliseconds: heartbeatInterval))
                })
            }

        case .release(let token):
            service.release(token, as: principal) { result in
                reply(Self.reply(result) { success in
                    .released(ReleaseResult(ended: success.ended, seatsTotal: UInt32(clamping: success.seatsTotal), seatsInUse: UInt32(clamping: success.seatsInUse)))
                })
            }

        case .validate(let licenseKey):
            service.validate(licenseKey: licenseKey, as: principal) { [clock] result in
                reply(Self.reply(result) { snapshot in
                    .validated(ValidateResult(
                        status: LicenseStatus(snapshot.license.refusal(at: clock.now())),
                        tier: snapshot.license.tier,
                        licenseExpiresAt: snapshot.license.expiresAt,
                        features: snapshot.license.features,
                        seatsTotal: UInt32(clamping: snapshot.license.seats),
                        seatsInUse: UInt32(clamping: snapshot.seatsInUse),
                        overageSeats: UInt32(clamping: snapshot.license.overageAllowance)
                    ))
                })
            }
        }
    }

    /// An acquire or borrow, its refusals counted in the audit.
    private func acquire(_ request: SeatRequest, as principal: Principal, completion: @escaping LicenseActor.Completion<AcquireSuccess>) {
        service.acquire(request, as: principal) { result in
            if case .failure(let failure) = result { recordRefusal(of: request, as: principal, failure) }
            completion(result)
        }
    }

    /// A refused acquire, acquire-or-wait or borrow: counted in the audit and logged as a
    /// seat event.
    private func recordRefusal(of request: SeatRequest, as principal: Principal, _ failure: SeatFailure) {
        audit.count(.refusal(request, tenant: principal.tenant ?? "", failure: failure), at: clock.now())
        seatEvents.denied(request, tenant: principal.tenant ?? "", reply: ErrorReply(failure), at: clock.now())
    }

    private var heartbeatInterval: UInt32 { UInt32(clamping: service.policy.heartbeatIntervalMilliseconds) }

    private static func reply<Success>(_ result: Result<Success, SeatFailure>, _ makeReply: (Success) -> ServerMessage) -> ServerMessage {
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

extension SeatRequest {
    /// The seat an Acquire, AcquireOrWait or Borrow asks for, as the connection it came on
    /// presents it.
    init(_ request: AcquireRequest, from link: ConnectionLink, as principal: Principal) {
        self.init(
            licenseKey: request.licenseKey,
            user: request.user,
            hostname: request.hostname,
            hardwareID: request.hardwareID,
            clientVersion: request.clientVersion,
            clientAddress: link.peerAddress,
            accessKeyID: principal.keyID ?? ""
        )
    }
}
