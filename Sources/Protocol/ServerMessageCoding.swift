import NIOCore
import SeatCore

extension ServerMessage: FramePayload {
    var messageType: MessageType {
        switch self {
        case .helloAccepted: .helloAccepted
        case .acquired: .acquired
        case .heartbeatAccepted: .heartbeatAccepted
        case .released: .released
        case .validated: .validated
        case .authenticated: .authenticated
        case .adminReply: .adminReply
        case .queued: .queued
        case .sessionRevoked: .sessionRevoked
        case .queuePosition: .queuePosition
        case .queueGranted: .queueGranted
        case .waitEnded: .waitEnded
        case .error: .error
        case .borrowed: .borrowed
        }
    }

    func writePayload(into buffer: inout ByteBuffer) {
        switch self {
        case .helloAccepted(let accepted):
            buffer.writeMultipleIntegers(
                accepted.version,
                accepted.maximumFrameBytes,
                accepted.leaseMilliseconds,
                accepted.heartbeatIntervalMilliseconds
            )
            buffer.writeWireString(accepted.serverName, limit: WireLimits.serverName)
        case .acquired(let grant):
            grant.write(into: &buffer)
        case .queued(let place):
            place.write(into: &buffer)
        case .queuePosition(let notice):
            buffer.writeInteger(notice.waitID)
            notice.place.write(into: &buffer)
        case .queueGranted(let notice):
            buffer.writeInteger(notice.waitID)
            notice.grant.write(into: &buffer)
        case .waitEnded(let notice):
            buffer.writeMultipleIntegers(notice.waitID, notice.reason.rawValue, notice.code)
            buffer.writeWireString(notice.message, limit: WireLimits.revocationMessage)
        case .borrowed(let grant):
            buffer.writeWireToken(grant.token)
            buffer.writeWireTimestamp(grant.expiresAt)
            buffer.writeMultipleIntegers(grant.seatsTotal, grant.seatsInUse)
            buffer.writeWireBool(grant.reattached)
            // A lease is far below the limit; one above it could not be checked, so none is cut.
            buffer.writeInteger(UInt16(clamping: grant.lease.count))
            buffer.writeBytes(grant.lease.prefix(Int(UInt16.max)))
        case .heartbeatAccepted(let accepted):
            buffer.writeWireTimestamp(accepted.leaseExpiresAt)
            buffer.writeInteger(accepted.heartbeatIntervalMilliseconds)
        case .released(let result):
            buffer.writeWireBool(result.ended)
            buffer.writeMultipleIntegers(result.seatsTotal, result.seatsInUse)
        case .validated(let result):
            buffer.writeInteger(result.status.rawValue)
            buffer.writeWireString(result.tier, limit: WireLimits.tier)
            buffer.writeWireOptionalTimestamp(result.licenseExpiresAt)
            buffer.writeWireFeatures(result.features)
            buffer.writeMultipleIntegers(result.seatsTotal, result.seatsInUse)
            if let overageSeats = result.overageSeats { buffer.writeInteger(overageSeats) }
        case .authenticated(let authenticated):
            buffer.writeWireString(authenticated.tenant, limit: WireLimits.tenant)
            buffer.writeInteger(authenticated.role.rawValue)
        case .adminReply(let json):
            buffer.writeWireLongString(json)
        case .sessionRevoked(let notice):
            buffer.writeWireToken(notice.token)
            buffer.writeInteger(notice.reason.rawValue)
            buffer.writeWireString(notice.message, limit: WireLimits.revocationMessage)
        case .error(let reply):
            buffer.writeInteger(reply.rawCode)
            buffer.writeWireString(reply.message, limit: WireLimits.errorMessage)
            reply.detail.write(into: &buffer)
        }
    }

    init(typeByte: UInt8, payload buffer: inout ByteBuffer) throws(WireError) {
        switch MessageType(rawValue: typeByte) {
        case .helloAccepted:
            self = .helloAccepted(HelloAccepted(
                version: try buffer.readWireInteger("version"),
                maximumFrameBytes: try buffer.readWireInteger("maximumFrameBytes"),
                leaseMilliseconds: try buffer.readWireInteger("leaseMilliseconds"),
                heartbeatIntervalMilliseconds: try buffer.readWireInteger("heartbeatIntervalMilliseconds"),
                serverName: try buffer.readWireString("serverName", limit: WireLimits.serverName)
            ))
        case .acquired:
            self = .acquired(try AcquireGrant(reading: &buffer))
        case .queued:
            self = .queued(try QueuePlace(reading: &buffer))
        case .queuePosition:
            let waitID = try buffer.readWireInteger("waitID", as: UInt32.self)
            self = .queuePosition(QueuePositionNotice(waitID: waitID, place: try QueuePlace(reading: &buffer)))
        case .queueGranted:
            let waitID = try buffer.readWireInteger("waitID", as: UInt32.self)
            self = .queueGranted(QueueGrantNotice(waitID: waitID, grant: try AcquireGrant(reading: &buffer)))
        case .waitEnded:
            let waitID = try buffer.readWireInteger("waitID", as: UInt32.self)
            let rawReason = try buffer.readWireInteger("reason", as: UInt8.self)
            guard let reason = WaitEndReason(rawValue: rawReason) else {
                throw .invalidField("reason", "is \(rawReason); known reasons are 1...3")
            }
            self = .waitEnded(WaitEndedNotice(
                waitID: waitID, reason: reason,
                code: try buffer.readWireInteger("code"),
                message: try buffer.readWireString("message", limit: WireLimits.revocationMessage)
            ))
        case .borrowed:
            let token = try buffer.readWireToken("token")
            let expiresAt = try buffer.readWireTimestamp("expiresAt")
            let seatsTotal = try buffer.readWireInteger("seatsTotal", as: UInt32.self)
            let seatsInUse = try buffer.readWireInteger("seatsInUse", as: UInt32.self)
            let reattached = try buffer.readWireBool("reattached")
            let length = Int(try buffer.readWireInteger("leaseLength", as: UInt16.self))
            guard WireLimits.borrowLease.contains(length) else { throw .invalidField("lease", "has \(length) bytes; allowed 1...1024") }
            guard let lease = buffer.readBytes(length: length) else { throw .truncated("lease") }
            self = .borrowed(BorrowGrant(token: token, expiresAt: expiresAt, seatsTotal: seatsTotal, seatsInUse: seatsInUse, reattached: reattached, lease: lease))
        case .heartbeatAccepted:
            self = .heartbeatAccepted(HeartbeatAccepted(
                leaseExpiresAt: try buffer.readWireTimestamp("leaseExpiresAt"),
                heartbeatIntervalMilliseconds: try buffer.readWireInteger("heartbeatIntervalMilliseconds")
            ))
        case .released:
            self = .released(ReleaseResult(
                ended: try buffer.readWireBool("ended"),
                seatsTotal: try buffer.readWireInteger("seatsTotal"),
                seatsInUse: try buffer.readWireInteger("seatsInUse")
            ))
        case .validated:
            let rawStatus = try buffer.readWireInteger("status", as: UInt8.self)
            guard let status = LicenseStatus(rawValue: rawStatus) else {
                throw .invalidField("status", "is \(rawStatus); known statuses are 0...3")
            }
            self = .validated(ValidateResult(
                status: status,
                tier: try buffer.readWireString("tier", limit: WireLimits.tier),
                licenseExpiresAt: try buffer.readWireOptionalTimestamp("licenseExpiresAt"),
                features: try buffer.readWireFeatures("features"),
                seatsTotal: try buffer.readWireInteger("seatsTotal"),
                seatsInUse: try buffer.readWireInteger("seatsInUse"),
                overageSeats: try buffer.readOverageSeatsIfPresent()
            ))
        case .error:
            let rawCode = try buffer.readWireInteger("code", as: UInt16.self)
            let message = try buffer.readWireString("message", limit: WireLimits.errorMessage)
            self = .error(ErrorReply(
                rawCode: rawCode,
                message: message,
                detail: try ErrorDetail(code: ErrorCode(rawValue: rawCode), reading: &buffer)
            ))
        case .authenticated:
            let tenant = try buffer.readWireString("tenant", limit: 0...WireLimits.tenant.upperBound)
            let rawRole = try buffer.readWireInteger("role", as: UInt8.self)
            guard let role = PrincipalRole(rawValue: rawRole) else {
                throw .invalidField("role", "is \(rawRole); known roles are 0...1")
            }
            self = .authenticated(Authenticated(tenant: tenant, role: role))
        case .adminReply:
            self = .adminReply(json: try buffer.readWireLongString("json", limit: WireLimits.adminJSON))
        case .sessionRevoked:
            let token = try buffer.readWireToken("token")
            let rawReason = try buffer.readWireInteger("reason", as: UInt8.self)
            guard let reason = RevocationReason(rawValue: rawReason) else {
                throw .invalidField("reason", "is \(rawReason); known reasons are 1...3")
            }
            self = .sessionRevoked(SessionRevokedNotice(
                token: token, reason: reason,
                message: try buffer.readWireString("message", limit: WireLimits.revocationMessage)
            ))
        case .hello, .acquire, .acquireOrWait, .heartbeat, .release, .validate, .authenticate, .adminRequest, .borrow, nil:
            throw .unknownMessageType(typeByte)
        }
    }
}

extension ErrorDetail {
    /// Reads a `u16` length and the detail bytes. A known code's layout is used only when
    /// the length matches it exactly; anything else is kept raw.
    init(code: ErrorCode?, reading buffer: inout ByteBuffer) throws(WireError) {
        let length = Int(try buffer.readWireInteger("detailLength", as: UInt16.self))
        guard WireLimits.errorDetail.contains(length) else {
            throw .invalidField("detail", "is \(length) bytes; at most \(WireLimits.errorDetail.upperBound)")
        }
        guard var detail = buffer.readSlice(length: length) else { throw .truncated("detail") }
        switch (code, length) {
        case (_, 0):
            self = .none
        case (.noSeats?, 16):
            self = .noSeats(
                seatsTotal: try detail.readWireInteger("seatsTotal"),
                seatsInUse: try detail.readWireInteger("seatsInUse"),
                nextFreeAt: try detail.readWireTimestamp("nextFreeAt")
            )
        case (.policyDenied?, 17):
            // A reason a later version added: keep the detail as it came.
            guard let reason = detail.getInteger(at: detail.readerIndex, as: UInt8.self).flatMap(PolicyDenialReason.init) else {
                self = .raw(Array(detail.readableBytesView))
                return
            }
            detail.moveReaderIndex(forwardBy: 1)
            self = .policyDenied(
                reason: reason,
                limit: try detail.readWireInteger("limit"),
                seatsTotal: try detail.readWireInteger("seatsTotal"),
                seatsInUse: try detail.readWireInteger("seatsInUse"),
                reservedFreeSeats: try detail.readWireInteger("reservedFreeSeats")
            )
        case (.unsupportedVersion?, 4):
            self = .supportedVersions(
                minimum: try detail.readWireInteger("minimumSupported"),
                maximum: try detail.readWireInteger("maximumSupported")
            )
        case (.licenseExpired?, 8):
            self = .licenseExpired(at: try detail.readWireTimestamp("expiredAt"))
        case (.authenticationThrottled?, 4):
            self = .retryAfter(milliseconds: try detail.readWireInteger("retryAfterMilliseconds"))
        case (.notActive?, _):
            self = Self.activeNode(in: detail) ?? .raw(Array(detail.readableBytesView))
        default:
            self = .raw(Array(detail.readableBytesView))
        }
    }

    /// The `notActive` layout: a string that fills the detail exactly, within
    /// ``WireLimits/activeNodeAddress``, in valid UTF-8; nil for anything else (kept raw).
    private static func activeNode(in detail: ByteBuffer) -> ErrorDetail? {
        var detail = detail
        guard let length = detail.readInteger(as: UInt16.self).map(Int.init), length == detail.readableBytes,
            WireLimits.activeNodeAddress.contains(length),
            let address = try? detail.readUTF8ValidatedString(length: length)
        else { return nil }
        return .activeNode(address: address)
    }

    /// Writes a `u16` length and the detail bytes; raw bytes beyond
    /// ``WireLimits/errorDetail`` are cut off.
    func write(into buffer: inout ByteBuffer) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt16(0))
        switch self {
        case .none:
            return
        case .noSeats(let seatsTotal, let seatsInUse, let nextFreeAt):
            buffer.writeMultipleIntegers(seatsTotal, seatsInUse)
            buffer.writeWireTimestamp(nextFreeAt)
        case .policyDenied(let reason, let limit, let seatsTotal, let seatsInUse, let reservedFreeSeats):
            buffer.writeMultipleIntegers(reason.rawValue, limit, seatsTotal, seatsInUse, reservedFreeSeats)
        case .supportedVersions(let minimum, let maximum):
            buffer.writeMultipleIntegers(minimum, maximum)
        case .licenseExpired(let expiredAt):
            buffer.writeWireTimestamp(expiredAt)
        case .retryAfter(let milliseconds):
            buffer.writeInteger(milliseconds)
        case .activeNode(let address):
            // A cut address would name the wrong node: an over-long one names none.
            buffer.writeWireString(address.utf8.count <= WireLimits.activeNodeAddress.upperBound ? address : "", limit: WireLimits.activeNodeAddress)
        case .raw(let bytes):
            buffer.writeBytes(bytes.prefix(WireLimits.errorDetail.upperBound))
        }
        buffer.setInteger(UInt16(buffer.writerIndex - lengthIndex - 2), at: lengthIndex)
    }
}

extension AcquireGrant {
    /// The fields of Acquired after the request id (also inside QueueGranted).
    func write(into buffer: inout ByteBuffer) {
        buffer.writeWireToken(token)
        buffer.writeWireTimestamp(leaseExpiresAt)
        buffer.writeMultipleIntegers(heartbeatIntervalMilliseconds, seatsTotal, seatsInUse)
        buffer.writeWireBool(reattached)
        buffer.writeWireString(tier, limit: WireLimits.tier)
        buffer.writeWireOptionalTimestamp(licenseExpiresAt)
        buffer.writeWireFeatures(features)
        if let overage {
            buffer.writeInteger(overage.overageSeats)
            buffer.writeWireBool(overage.isOverage)
        }
    }

    init(reading buffer: inout ByteBuffer) throws(WireError) {
        self.init(
            token: try buffer.readWireToken("token"),
            leaseExpiresAt: try buffer.readWireTimestamp("leaseExpiresAt"),
            heartbeatIntervalMilliseconds: try buffer.readWireInteger("heartbeatIntervalMilliseconds"),
            seatsTotal: try buffer.readWireInteger("seatsTotal"),
            seatsInUse: try buffer.readWireInteger("seatsInUse"),
            reattached: try buffer.readWireBool("reattached"),
            tier: try buffer.readWireString("tier", limit: WireLimits.tier),
            licenseExpiresAt: try buffer.readWireOptionalTimestamp("licenseExpiresAt"),
            features: try buffer.readWireFeatures("features"),
            overage: try buffer.readGrantOverageIfPresent()
        )
    }
}

extension QueuePlace {
    func write(into buffer: inout ByteBuffer) {
        buffer.writeMultipleIntegers(position, waiting, seatsTotal, seatsInUse)
    }

    init(reading buffer: inout ByteBuffer) throws(WireError) {
        self.init(
            position: try buffer.readWireInteger("position"),
            waiting: try buffer.readWireInteger("waiting"),
            seatsTotal: try buffer.readWireInteger("seatsTotal"),
            seatsInUse: try buffer.readWireInteger("seatsInUse")
        )
    }
}
