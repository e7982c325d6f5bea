import SeatCore
import SeatProtocol

/// Turns a decoded request into a call on `SeatService` and its result into a reply,
/// and counts it (after the license actor has answered, so metrics never lengthen a
/// critical section).
struct RequestDispatcher: Sendable {
    let service: SeatService
    let metrics: SeatMetrics

    func respond(to message: ClientMessage, peerAddress: String) async -> ServerMessage {
        let started = ContinuousClock.now
        let reply = await answer(message, peerAddress: peerAddress)
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

    private func answer(_ message: ClientMessage, peerAddress: String) async -> ServerMessage {
        switch message {
        case .hello:
            return .error(ErrorReply(code: .unexpectedMessage, message: "Hello was already received"))
        case .authenticate, .admin:
            return .error(ErrorReply(code: .unknownMessageType, message: "not yet served"))

        case .acquire(let request):
            let seatRequest = SeatRequest(
                licenseKey: request.licenseKey,
                user: request.user,
                hostname: request.hostname,
                hardwareID: request.hardwareID,
                clientVersion: request.clientVersion,
                clientAddress: peerAddress
            )
            return reply(await service.acquire(seatRequest)) { success in
                .acquired(AcquireGrant(
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
            return reply(await service.heartbeat(token)) { session in
                .heartbeatAccepted(HeartbeatAccepted(leaseExpiresAt: session.leaseExpiresAt, heartbeatIntervalMilliseconds: heartbeatInterval))
            }

        case .release(let token):
            return reply(await service.release(token)) { success in
                .released(ReleaseResult(ended: success.ended, seatsTotal: UInt32(clamping: success.seatsTotal), seatsInUse: UInt32(clamping: success.seatsInUse)))
            }

        case .validate(let licenseKey):
            return reply(await service.validate(licenseKey: licenseKey)) { snapshot in
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
