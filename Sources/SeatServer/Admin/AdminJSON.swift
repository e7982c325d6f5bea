import Foundation
import SeatCore
import SeatLicensing

/// The objects of admin replies, as docs/admin-protocol.md lists them.
enum AdminJSON {
    static func encode(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func license(_ license: License, seatsInUse: Int, waiting: Int = 0, now: Timestamp) -> [String: Any] {
        var object: [String: Any] = [
            "key": license.key, "tenant": license.tenant, "seats": license.seats, "in_use": seatsInUse, "waiting": waiting,
            "free": max(0, license.seats - seatsInUse), "tier": license.tier, "features": license.features,
            "state": license.state.rawValue, "status": status(license.refusal(at: now)), "origin": license.provenance.origin.rawValue,
            "serial": license.provenance.serial, "overage": license.overage.description,
            "overage_allowed": license.overageAllowance, "overage_in_use": license.seatsOverage(inUse: seatsInUse),
            "seat_counting": license.seatCounting.rawValue,
        ]
        if let expiresAt = license.expiresAt { object["expires"] = AdminTime.format(expiresAt) }
        if let issuedAt = license.provenance.issuedAt { object["issued"] = AdminTime.format(issuedAt) }
        if let keyID = license.provenance.signingKeyID { object["signed_by"] = keyID }
        return object
    }

    static func status(_ refusal: LicenseRefusal?) -> String {
        switch refusal {
        case nil: "valid"
        case .expired: "expired"
        case .suspended: "suspended"
        case .revoked: "revoked"
        }
    }

    /// `seat` names the seat the session holds under user or host counting (the user, or
    /// the hardware id), so every host of a shared seat shows as one of its sessions. A
    /// borrowed seat has `borrow_lease` (its offline lease's id); its `expires` is the borrow's end.
    static func session(_ session: Session, license: License) -> [String: Any] {
        var object: [String: Any] = [
            "id": SessionID(session.token).hex, "license": session.licenseKey, "tenant": license.tenant, "user": session.user,
            "host": session.hostname, "hardware_id": session.hardwareID, "client_version": session.clientVersion,
            "address": session.clientAddress, "since": AdminTime.format(session.createdAt),
            "last_heartbeat": AdminTime.format(session.lastHeartbeatAt), "expires": AdminTime.format(session.leaseExpiresAt),
        ]
        if let seat = license.seatCounting.seatName(user: session.user, hardwareID: session.hardwareID) { object["seat"] = seat }
        if let leaseID = session.borrowLeaseID { object["borrow_lease"] = BorrowLease.idText(leaseID) }
        return object
    }

    /// One waiter of a license's queue (`queue`), at 1-based `position`.
    static func waiter(_ waiter: Waiter, position: Int, tenant: String) -> [String: Any] {
        [
            "license": waiter.request.licenseKey, "tenant": tenant, "user": waiter.request.user, "host": waiter.request.hostname,
            "hardware_id": waiter.request.hardwareID, "address": waiter.request.clientAddress, "position": position,
            "priority": waiter.priority, "since": AdminTime.format(waiter.since),
        ]
    }

    static func tenant(_ tenant: Tenant, licenses: Int, keys: Int) -> [String: Any] {
        ["id": tenant.id, "name": tenant.name, "created": AdminTime.format(tenant.createdAt), "licenses": licenses, "keys": keys]
    }

    static func key(_ key: AccessKey) -> [String: Any] {
        var object: [String: Any] = ["id": key.id, "role": key.role.rawValue, "label": key.label, "created": AdminTime.format(key.createdAt)]
        if let tenant = key.tenant { object["tenant"] = tenant }
        if let revokedAt = key.revokedAt { object["revoked"] = AdminTime.format(revokedAt) }
        return object
    }
}
