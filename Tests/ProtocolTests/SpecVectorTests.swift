import NIOCore
import SeatCore
import SeatProtocol
import Testing

/// The offline lease in `server.borrowed` (protocol-spec.md 7.11), signed with RFC 8032's
/// TEST 1 key; the lease tests (SeatLicensingTests) check the signature.
let specLease: [UInt8] = hexBytes(
    "010123456789abcdef0000019b76daa8000000019b9ae72c00000d41434d452d50524f2d32303234000461636d650005616c696365"
        + "000968773a3566336139634a53d44772a368ca38c8c022bfbe07e163b9bba6b3de2b33b6226f31c72bf8dc9a20a8dd746a8eb973"
        + "09b3c4f8537119b620ffc6714a112fbdd0058d6a17690b")

private func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// What each vector in `protocol-spec.md` must decode to (and encode from).
let expectedVectors: [String: AnyFrame] = [
    "client.hello": .client(ClientFrame(
        requestID: 1,
        message: .hello(Hello(minimumVersion: 1, maximumVersion: 1, clientName: "seatctl 1.0"))
    )),
    "client.acquire": .client(ClientFrame(
        requestID: 2,
        message: .acquire(AcquireRequest(
            licenseKey: "ACME-PRO-2024",
            user: "alice",
            hostname: "ws-17.example.com",
            hardwareID: "hw:5f3a9c",
            clientVersion: "2.4.1"
        ))
    )),
    "client.heartbeat": .client(ClientFrame(requestID: 3, message: .heartbeat(specToken))),
    "client.release": .client(ClientFrame(requestID: 4, message: .release(specToken))),
    "client.validate": .client(ClientFrame(requestID: 5, message: .validate(licenseKey: "ACME-PRO-2024"))),
    "server.helloAccepted": .server(ServerFrame(
        requestID: 1,
        message: .helloAccepted(HelloAccepted(
            version: 1,
            maximumFrameBytes: 65_536,
            leaseMilliseconds: 360_000,
            heartbeatIntervalMilliseconds: 120_000,
            serverName: "seatd 1.0"
        ))
    )),
    "server.acquired": .server(ServerFrame(
        requestID: 2,
        message: .acquired(AcquireGrant(
            token: specToken,
            leaseExpiresAt: timestamp(1_767_225_960_000),
            heartbeatIntervalMilliseconds: 120_000,
            seatsTotal: 10,
            seatsInUse: 3,
            reattached: false,
            tier: "pro",
            licenseExpiresAt: timestamp(1_798_761_600_000),
            features: ["maxThreads": "16", "export": "pdf,svg"]
        ))
    )),
    "server.acquired.reattached": .server(ServerFrame(
        requestID: 7,
        message: .acquired(AcquireGrant(
            token: specToken,
            leaseExpiresAt: timestamp(1_767_226_200_000),
            heartbeatIntervalMilliseconds: 120_000,
            seatsTotal: 5,
            seatsInUse: 5,
            reattached: true,
            tier: "équipe",
            licenseExpiresAt: nil,
            features: [:]
        ))
    )),
    "server.acquired.v2.overage": .server(ServerFrame(
        requestID: 8,
        message: .acquired(AcquireGrant(
            token: specToken,
            leaseExpiresAt: timestamp(1_767_225_960_000),
            heartbeatIntervalMilliseconds: 120_000,
            seatsTotal: 10,
            seatsInUse: 12,
            reattached: false,
            tier: "",
            licenseExpiresAt: nil,
            features: [:],
            overage: GrantOverage(overageSeats: 2, isOverage: true)
        ))
    )),
    "server.heartbeatAccepted": .server(ServerFrame(
        requestID: 3,
        message: .heartbeatAccepted(HeartbeatAccepted(
            leaseExpiresAt: timestamp(1_767_226_080_000),
            heartbeatIntervalMilliseconds: 120_000
        ))
    )),
    "server.released": .server(ServerFrame(
        requestID: 4,
        message: .released(ReleaseResult(ended: true, seatsTotal: 10, seatsInUse: 2))
    )),
    "server.validated": .server(ServerFrame(
        requestID: 5,
        message: .validated(ValidateResult(
            status: .valid,
            tier: "pro",
            licenseExpiresAt: timestamp(1_798_761_600_000),
            features: ["export": "pdf,svg", "maxThreads": "16"],
            seatsTotal: 10,
            seatsInUse: 2
        ))
    )),
    "server.validated.v2": .server(ServerFrame(
        requestID: 5,
        message: .validated(ValidateResult(
            status: .valid,
            tier: "",
            licenseExpiresAt: nil,
            features: [:],
            seatsTotal: 10,
            seatsInUse: 12,
            overageSeats: 2
        ))
    )),
    "server.validated.suspended": .server(ServerFrame(
        requestID: 6,
        message: .validated(ValidateResult(
            status: .suspended,
            tier: "",
            licenseExpiresAt: nil,
            features: [:],
            seatsTotal: 4,
            seatsInUse: 0
        ))
    )),
    "server.error.noSeats": .server(ServerFrame(
        requestID: 2,
        message: .error(ErrorReply(
            code: .noSeats,
            message: "all 10 seats are in use",
            detail: .noSeats(seatsTotal: 10, seatsInUse: 10, nextFreeAt: timestamp(1_767_225_960_000))
        ))
    )),
    "server.error.policyDenied": .server(ServerFrame(
        requestID: 2,
        message: .error(ErrorReply(
            code: .policyDenied,
            message: "policy: over max",
            detail: .policyDenied(reason: .overMax, limit: 2, seatsTotal: 10, seatsInUse: 7, reservedFreeSeats: 0)
        ))
    )),
    "server.error.policyDenied.overBorrowMax": .server(ServerFrame(
        requestID: 8,
        message: .error(ErrorReply(
            code: .policyDenied,
            message: "policy: borrow max",
            detail: .policyDenied(reason: .overBorrowMax, limit: 2, seatsTotal: 10, seatsInUse: 6, reservedFreeSeats: 0)
        ))
    )),
    "client.borrow": .client(ClientFrame(
        requestID: 8,
        message: .borrow(BorrowRequest(
            seat: AcquireRequest(licenseKey: "ACME-PRO-2024", user: "alice", hostname: "ws-17.example.com", hardwareID: "hw:5f3a9c", clientVersion: "2.4.1"),
            durationMinutes: 10_080
        ))
    )),
    "server.borrowed": .server(ServerFrame(
        requestID: 8,
        message: .borrowed(BorrowGrant(
            token: specToken,
            expiresAt: timestamp(1_767_830_400_000),
            seatsTotal: 10,
            seatsInUse: 4,
            reattached: false,
            lease: specLease
        ))
    )),
    "server.error.unsupportedVersion": .server(ServerFrame(
        requestID: 1,
        message: .error(ErrorReply(
            code: .unsupportedVersion,
            message: "no common protocol version",
            detail: .supportedVersions(minimum: 1, maximum: 1)
        ))
    )),
    "server.error.licenseExpired": .server(ServerFrame(
        requestID: 2,
        message: .error(ErrorReply(
            code: .licenseExpired,
            message: "license expired",
            detail: .licenseExpired(at: timestamp(1_767_225_600_000))
        ))
    )),
    "server.error.unknownSession": .server(ServerFrame(
        requestID: 3,
        message: .error(ErrorReply(code: .unknownSession, message: "no such session"))
    )),
    "server.error.frameTooLarge": .server(ServerFrame(
        requestID: 0,
        message: .error(ErrorReply(code: .frameTooLarge, message: "frame too large"))
    )),
    "server.error.unknownCode": .server(ServerFrame(
        requestID: 9,
        message: .error(ErrorReply(rawCode: 999, message: "from the future", detail: .raw([0xCA, 0xFE])))
    )),
    "server.error.notActive": .server(ServerFrame(
        requestID: 2,
        message: .error(ErrorReply(code: .notActive, message: "this node is a standby", detail: .activeNode(address: "seat-b.example.com:7420")))
    )),
    "server.error.notActive.takeover": .server(ServerFrame(
        requestID: 2,
        message: .error(ErrorReply(code: .notActive, message: "no node is active", detail: .activeNode(address: "")))
    )),
    "client.authenticate": .client(ClientFrame(requestID: 2, message: .authenticate(accessKey: "seatd_3f9a0c1d2e4b5a69_c2VjcmV0"))),
    "client.adminRequest": .client(ClientFrame(requestID: 7, message: .admin(AdminRequest(json: #"{"op":"status"}"#)))),
    "server.authenticated": .server(ServerFrame(requestID: 2, message: .authenticated(Authenticated(tenant: "acme", role: .client)))),
    "server.adminReply": .server(ServerFrame(requestID: 7, message: .adminReply(json: #"{"licenses":[]}"#))),
    "server.sessionRevoked": .server(ServerFrame(requestID: 0, message: .sessionRevoked(SessionRevokedNotice(
        token: specToken,
        reason: .forceReleased,
        message: "released by an administrator"
    )))),
    "server.error.authenticationThrottled": .server(ServerFrame(
        requestID: 2,
        message: .error(ErrorReply(code: .authenticationThrottled, message: "too many failed authentications", detail: .retryAfter(milliseconds: 30_000)))
    )),
    "client.acquireOrWait": .client(ClientFrame(
        requestID: 8,
        message: .acquireOrWait(AcquireRequest(
            licenseKey: "ACME-PRO-2024", user: "alice", hostname: "ws-17.example.com", hardwareID: "hw:5f3a9c", clientVersion: "2.4.1"
        ))
    )),
    "server.queued": .server(ServerFrame(requestID: 8, message: .queued(QueuePlace(position: 2, waiting: 3, seatsTotal: 1, seatsInUse: 1)))),
    "server.queuePosition": .server(ServerFrame(requestID: 0, message: .queuePosition(QueuePositionNotice(
        waitID: 8, place: QueuePlace(position: 1, waiting: 2, seatsTotal: 1, seatsInUse: 1)
    )))),
    "server.queueGranted": .server(ServerFrame(requestID: 0, message: .queueGranted(QueueGrantNotice(
        waitID: 8,
        grant: AcquireGrant(
            token: specToken, leaseExpiresAt: timestamp(1_767_226_200_000), heartbeatIntervalMilliseconds: 120_000,
            seatsTotal: 1, seatsInUse: 1, reattached: false, tier: "pro", licenseExpiresAt: nil, features: [:]
        )
    )))),
    "server.queueGranted.v2.overage": .server(ServerFrame(requestID: 0, message: .queueGranted(QueueGrantNotice(
        waitID: 8,
        grant: AcquireGrant(
            token: specToken, leaseExpiresAt: timestamp(1_767_226_200_000), heartbeatIntervalMilliseconds: 120_000,
            seatsTotal: 10, seatsInUse: 11, reattached: false, tier: "", licenseExpiresAt: nil, features: [:],
            overage: GrantOverage(overageSeats: 2, isOverage: true)
        )
    )))),
    "server.waitEnded": .server(ServerFrame(requestID: 0, message: .waitEnded(WaitEndedNotice(
        waitID: 8, reason: .refused, code: ErrorCode.licenseRevoked.rawValue, message: "the license was revoked"
    )))),
]

@Suite("protocol-spec.md test vectors")
struct SpecVectorTests {
    @Test func specListsExactlyTheKnownVectors() throws {
        let names = try SpecFile.vectors().map(\.name)
        let unknown = names.filter { expectedVectors[$0] == nil }
        let missing = expectedVectors.keys.filter { !names.contains($0) }.sorted()
        #expect(unknown.isEmpty, "vectors in the spec without an expected message: \(unknown)")
        #expect(missing.isEmpty, "expected vectors missing from the spec: \(missing)")
    }

    @Test(arguments: expectedVectors.keys.sorted())
    func vectorDecodesAndEncodes(name: String) throws {
        let expected = try #require(expectedVectors[name])
        let vector = try #require(try SpecFile.vectors().first { $0.name == name }, "vector \(name) is not in the spec")

        let bodies = try decodeFrames([vector.bytes], atEOF: true)
        try #require(bodies.count == 1, "\(name) must be exactly one frame")
        #expect(try expected.decodeSameDirection(bodies[0]) == expected)
        #expect(expected.encoded == vector.bytes, "encoding \(name) must yield the vector's bytes")
    }

    /// Except, for a version 2 message, the cut that leaves its version 1 form: the fields
    /// version 2 adds are optional at the end of the body.
    @Test(arguments: expectedVectors.keys.sorted())
    func everyTruncationOfTheBodyIsMalformed(name: String) throws {
        let expected = try #require(expectedVectors[name])
        let body = Array(body(of: expected.encoded).readableBytesView)
        let versionOne = expected.withoutVersionTwoFields
        for length in 0..<body.count {
            if versionOne != expected, length == versionOne.encoded.count - WireConstants.lengthPrefixBytes {
                #expect(try expected.decodeSameDirection(ByteBuffer(bytes: body.prefix(length))) == versionOne)
                continue
            }
            let error = #expect(throws: WireError.self) {
                _ = try expected.decodeSameDirection(ByteBuffer(bytes: body.prefix(length)))
            }
            #expect(error?.code == .malformedMessage, "\(name) cut to \(length) bytes")
            #expect(error?.requestID == (length >= WireConstants.minimumBodyBytes ? expected.requestID : nil))
        }
    }

    @Test(arguments: expectedVectors.keys.sorted())
    func everyTruncationOfTheFrameFailsAtEndOfStream(name: String) throws {
        let frame = try #require(expectedVectors[name]).encoded
        for length in 1..<frame.count {
            #expect(try decodeFrames([Array(frame.prefix(length))]).isEmpty)
            let error = #expect(throws: WireError.self) {
                _ = try decodeFrames([Array(frame.prefix(length))], atEOF: true)
            }
            #expect(error?.code == .malformedMessage, "\(name) cut to \(length) bytes")
            #expect(error?.reason.hasPrefix("truncated frame") == true)
        }
    }
}
