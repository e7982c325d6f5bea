import Logging
import SeatCore
import SeatProtocol
import Synchronization

/// Seat events as lines of the log at `info`, what FlexNet admins grep as OUT / IN /
/// DENIED: grants, releases, expiries and force-releases once they are stored (from the
/// store's committed audit events), denials and failed authentications as they are
/// answered (at most `linesPerSecond` of each a second). `log_seat_events = false` turns
/// them all off.
final class SeatEventLog: Sendable {
    static let linesPerSecond = 50

    private let enabled: LiveValue<Bool>
    private let logger: Logger
    private let denials = Mutex(LineBudget(perSecond: SeatEventLog.linesPerSecond))
    private let authenticationFailures = Mutex(LineBudget(perSecond: SeatEventLog.linesPerSecond))

    init(enabled: Bool, logger: Logger) {
        self.enabled = LiveValue(enabled)
        self.logger = logger
    }

    func setEnabled(_ on: Bool) {
        enabled.set(on)
    }

    /// Stored audit events (the storage writer's thread, after the callers were answered).
    func committed(_ events: [AuditEvent]) {
        guard enabled.value else { return }
        for event in events {
            let message: Logger.Message
            switch event.kind {
            case .grant: message = "seat granted"
            case .release: message = "seat released"
            case .expiry: message = "seat expired"
            case .forceRelease: message = "seat force-released"
            case .refusal, .authFailure, .admin: continue  // logged where they happen
            }
            logger.info(message, metadata: [
                "license": "\(event.licenseKey)", "tenant": "\(event.tenant)", "user": "\(event.user)",
                "host": "\(event.hostname)", "address": "\(event.address)", "detail": "\(event.detail)",
            ])
        }
    }

    func denied(_ request: SeatRequest, tenant: String, reply: ErrorReply, at now: Timestamp) {
        guard enabled.value, case .log(let suppressed) = denials.withLock({ $0.admit(at: now) }) else { return }
        var metadata: Logger.Metadata = [
            "license": "\(request.licenseKey)", "tenant": "\(tenant)", "user": "\(request.user)",
            "host": "\(request.hostname)", "address": "\(request.clientAddress)",
            "reason": "\(reply.code.map { "\($0)" } ?? String(reply.rawCode))", "message": "\(reply.message)",
        ]
        if suppressed > 0 { metadata["not_logged_before"] = "\(suppressed)" }
        logger.info("seat denied", metadata: metadata)
    }

    func authenticationFailed(address: String, reason: String, at now: Timestamp) {
        guard enabled.value, case .log(let suppressed) = authenticationFailures.withLock({ $0.admit(at: now) }) else { return }
        var metadata: Logger.Metadata = ["address": "\(address)", "reason": "\(reason)"]
        if suppressed > 0 { metadata["not_logged_before"] = "\(suppressed)" }
        logger.info("authentication failed", metadata: metadata)
    }
}
