import NIOCore

extension ClientMessage: FramePayload {
    var messageType: MessageType {
        switch self {
        case .hello: .hello
        case .acquire: .acquire
        case .acquireOrWait: .acquireOrWait
        case .heartbeat: .heartbeat
        case .release: .release
        case .validate: .validate
        case .authenticate: .authenticate
        case .admin: .adminRequest
        case .borrow: .borrow
        }
    }

    func writePayload(into buffer: inout ByteBuffer) {
        switch self {
        case .hello(let hello):
            buffer.writeMultipleIntegers(WireConstants.magic, hello.minimumVersion, hello.maximumVersion)
            buffer.writeWireString(hello.clientName, limit: WireLimits.clientName)
        case .acquire(let request), .acquireOrWait(let request):
            request.writeFields(into: &buffer)
        case .borrow(let request):
            request.seat.writeFields(into: &buffer)
            buffer.writeInteger(max(request.durationMinutes, WireLimits.borrowMinutes.lowerBound))
        case .heartbeat(let token), .release(let token):
            buffer.writeWireToken(token)
        case .validate(let licenseKey):
            buffer.writeWireString(licenseKey, limit: WireLimits.licenseKey)
        case .authenticate(let accessKey):
            buffer.writeWireString(accessKey, limit: WireLimits.accessKey)
        case .admin(let request):
            buffer.writeWireLongString(request.json)
        }
    }

    init(typeByte: UInt8, payload buffer: inout ByteBuffer) throws(WireError) {
        switch MessageType(rawValue: typeByte) {
        case .hello:
            let magic = try buffer.readWireInteger("magic", as: UInt32.self)
            guard magic == WireConstants.magic else {
                throw WireError(code: .malformedMessage, reason: "bad Hello magic 0x\(String(magic, radix: 16))")
            }
            let minimumVersion = try buffer.readWireInteger("minimumVersion", as: UInt16.self)
            let maximumVersion = try buffer.readWireInteger("maximumVersion", as: UInt16.self)
            guard minimumVersion <= maximumVersion else {
                throw .invalidField("minimumVersion", "\(minimumVersion) is above maximumVersion \(maximumVersion)")
            }
            self = .hello(Hello(
                minimumVersion: minimumVersion,
                maximumVersion: maximumVersion,
                clientName: try buffer.readWireString("clientName", limit: WireLimits.clientName)
            ))
        case .acquire:
            self = .acquire(try AcquireRequest(readingFieldsOf: &buffer))
        case .acquireOrWait:
            self = .acquireOrWait(try AcquireRequest(readingFieldsOf: &buffer))
        case .borrow:
            let seat = try AcquireRequest(readingFieldsOf: &buffer)
            let minutes = try buffer.readWireInteger("durationMinutes", as: UInt32.self)
            guard WireLimits.borrowMinutes.contains(minutes) else { throw .invalidField("durationMinutes", "must be at least 1") }
            self = .borrow(BorrowRequest(seat: seat, durationMinutes: minutes))
        case .heartbeat:
            self = .heartbeat(try buffer.readWireToken("token"))
        case .release:
            self = .release(try buffer.readWireToken("token"))
        case .validate:
            self = .validate(licenseKey: try buffer.readWireString("licenseKey", limit: WireLimits.licenseKey))
        case .authenticate:
            self = .authenticate(accessKey: try buffer.readWireString("accessKey", limit: WireLimits.accessKey))
        case .adminRequest:
            self = .admin(AdminRequest(json: try buffer.readWireLongString("json", limit: WireLimits.adminJSON)))
        case .helloAccepted, .acquired, .heartbeatAccepted, .released, .validated, .authenticated, .adminReply,
            .queued, .sessionRevoked, .waitEnded, .queueGranted, .queuePosition, .borrowed, .error, nil:
            throw .unknownMessageType(typeByte)
        }
    }
}

extension AcquireRequest {
    /// The fields an Acquire, an AcquireOrWait and a Borrow share, in wire order.
    fileprivate func writeFields(into buffer: inout ByteBuffer) {
        buffer.writeWireString(licenseKey, limit: WireLimits.licenseKey)
        buffer.writeWireString(user, limit: WireLimits.user)
        buffer.writeWireString(hostname, limit: WireLimits.hostname)
        buffer.writeWireString(hardwareID, limit: WireLimits.hardwareID)
        buffer.writeWireString(clientVersion, limit: WireLimits.clientVersion)
    }

    fileprivate init(readingFieldsOf buffer: inout ByteBuffer) throws(WireError) {
        self.init(
            licenseKey: try buffer.readWireString("licenseKey", limit: WireLimits.licenseKey),
            user: try buffer.readWireString("user", limit: WireLimits.user),
            hostname: try buffer.readWireString("hostname", limit: WireLimits.hostname),
            hardwareID: try buffer.readWireString("hardwareID", limit: WireLimits.hardwareID),
            clientVersion: try buffer.readWireString("clientVersion", limit: WireLimits.clientVersion)
        )
    }
}
