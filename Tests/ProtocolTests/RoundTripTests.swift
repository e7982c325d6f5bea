import Foundation
import NIOCore
import SeatCore
import SeatProtocol
import Testing

private let maximalFeatures: [String: String] = Dictionary(uniqueKeysWithValues: (0..<64).map { index in
    let key = String(format: "k%02d", index) + String(repeating: "é", count: 30) + "x"  // 64 bytes
    return (key, String(repeating: "v", count: 256))
})

/// The largest v1 server message: every field at its maximum.
private let largestGrant = AnyFrame.server(ServerFrame(requestID: 2, message: .acquired(AcquireGrant(
    token: specToken,
    leaseExpiresAt: timestamp(.max),
    heartbeatIntervalMilliseconds: .max,
    seatsTotal: .max,
    seatsInUse: .max,
    reattached: true,
    tier: String(repeating: "t", count: 64),
    licenseExpiresAt: timestamp(.max),
    features: maximalFeatures
))))

private let roundTripFrames: [AnyFrame] = [
    .client(ClientFrame(requestID: 1, message: .hello(Hello(clientName: "")))),
    .client(ClientFrame(requestID: .max, message: .hello(Hello(
        minimumVersion: 0,
        maximumVersion: .max,
        clientName: String(repeating: "ü", count: 32)
    )))),
    .client(ClientFrame(requestID: 2, message: .acquire(AcquireRequest(
        licenseKey: "k", user: "u", hostname: "", hardwareID: "h", clientVersion: ""
    )))),
    .client(ClientFrame(requestID: 3, message: .acquire(AcquireRequest(
        licenseKey: String(repeating: "é", count: 64),
        user: String(repeating: "ß", count: 128),
        hostname: String(repeating: "h", count: 255),
        hardwareID: String(repeating: "🔑", count: 64),
        clientVersion: String(repeating: "日", count: 21) + "v"
    )))),
    .client(ClientFrame(requestID: 4, message: .heartbeat(SessionToken(high: 0, low: 0)))),
    .client(ClientFrame(requestID: 5, message: .release(SessionToken(high: .max, low: .max)))),
    .client(ClientFrame(requestID: 6, message: .validate(licenseKey: String(repeating: "K", count: 128)))),
    .server(ServerFrame(requestID: 1, message: .helloAccepted(HelloAccepted(
        version: .max,
        maximumFrameBytes: .max,
        leaseMilliseconds: .max,
        heartbeatIntervalMilliseconds: 0,
        serverName: String(repeating: "s", count: 64)
    )))),
    largestGrant,
    .server(ServerFrame(requestID: 3, message: .acquired(AcquireGrant(
        token: specToken,
        leaseExpiresAt: timestamp(0),
        heartbeatIntervalMilliseconds: 0,
        seatsTotal: 0,
        seatsInUse: 0,
        reattached: false,
        tier: "",
        licenseExpiresAt: nil,
        features: [:]
    )))),
    .server(ServerFrame(requestID: 4, message: .acquired(AcquireGrant(
        token: specToken,
        leaseExpiresAt: timestamp(1),
        heartbeatIntervalMilliseconds: 1,
        seatsTotal: 1,
        seatsInUse: 1,
        reattached: false,
        tier: "Überflieger 🚀",
        licenseExpiresAt: timestamp(1),
        features: ["Ω": "", "a": "ß", "e\u{301}": "combining"]
    )))),
    .server(ServerFrame(requestID: 5, message: .heartbeatAccepted(HeartbeatAccepted(
        leaseExpiresAt: timestamp(1_767_225_960_000),
        heartbeatIntervalMilliseconds: 120_000
    )))),
    .server(ServerFrame(requestID: 6, message: .released(ReleaseResult(ended: false, seatsTotal: 3, seatsInUse: 0)))),
] + LicenseStatus.allCases.map { status in
    .server(ServerFrame(requestID: 7, message: .validated(ValidateResult(
        status: status,
        tier: "pro",
        licenseExpiresAt: status == .expired ? timestamp(1_000) : nil,
        features: status == .valid ? maximalFeatures : [:],
        seatsTotal: 2,
        seatsInUse: 1
    ))))
} + [
    .server(ServerFrame(requestID: 8, message: .error(ErrorReply(
        code: .internalError,
        message: String(repeating: "m", count: 1024)
    )))),
    .server(ServerFrame(requestID: 9, message: .error(ErrorReply(
        code: .noSeats,
        message: "",
        detail: .noSeats(seatsTotal: .max, seatsInUse: 0, nextFreeAt: timestamp(.max))
    )))),
    .server(ServerFrame(requestID: 10, message: .error(ErrorReply(
        code: .unsupportedVersion,
        message: "versions",
        detail: .supportedVersions(minimum: 1, maximum: 3)
    )))),
    .server(ServerFrame(requestID: 11, message: .error(ErrorReply(
        code: .licenseExpired,
        message: "expired",
        detail: .licenseExpired(at: timestamp(0))
    )))),
    .server(ServerFrame(requestID: 12, message: .error(ErrorReply(
        code: .noSeats,
        message: "a newer server's longer detail",
        detail: .raw(Array(repeating: 7, count: 20))
    )))),
    .server(ServerFrame(requestID: 0, message: .error(ErrorReply(
        rawCode: .max,
        message: "unknown",
        detail: .raw(Array(repeating: 0xAB, count: 1024))
    )))),
    .server(ServerFrame(requestID: 15, message: .error(ErrorReply(
        code: .notActive,
        message: "the longest address",
        detail: .activeNode(address: String(repeating: "é", count: 126) + ":70")  // 255 bytes
    )))),
] + PolicyDenialReason.allCases.map { reason in
    .server(ServerFrame(requestID: 14, message: .error(ErrorReply(
        code: .policyDenied,
        message: "\(reason)",
        detail: .policyDenied(reason: reason, limit: .max, seatsTotal: 3, seatsInUse: 2, reservedFreeSeats: 1)
    ))))
} + ErrorCode.allCases.map { code in
    .server(ServerFrame(requestID: 13, message: .error(ErrorReply(code: code, message: "\(code)"))))
}

@Suite("Round trips")
struct RoundTripTests {
    @Test(arguments: roundTripFrames)
    func encodeThenDecode(frame: AnyFrame) throws {
        let bytes = frame.encoded
        let bodies = try decodeFrames([bytes], atEOF: true)
        try #require(bodies.count == 1)
        #expect(bodies[0].readableBytes == bytes.count - WireConstants.lengthPrefixBytes)
        #expect(try frame.decodeSameDirection(bodies[0]) == frame)
    }

    @Test func largestMessagesFitTheDocumentedSizes() {
        let acquire = AnyFrame.client(ClientFrame(requestID: 1, message: .acquire(AcquireRequest(
            licenseKey: String(repeating: "k", count: 128),
            user: String(repeating: "u", count: 256),
            hostname: String(repeating: "h", count: 255),
            hardwareID: String(repeating: "w", count: 256),
            clientVersion: String(repeating: "v", count: 64)
        ))))
        #expect(acquire.encoded.count - WireConstants.lengthPrefixBytes == 974)
        guard case .client(let frame) = acquire, case .acquire(let seat) = frame.message else { return }
        let borrow = AnyFrame.client(ClientFrame(requestID: 1, message: .borrow(BorrowRequest(seat: seat, durationMinutes: .max))))
        #expect(borrow.encoded.count - WireConstants.lengthPrefixBytes == 978)
        #expect(largestGrant.encoded.count - WireConstants.lengthPrefixBytes == 20_854)
    }

    @Test func encodersAppendToExistingBytesInOneBuffer() throws {
        var buffer = ByteBuffer(bytes: [0xEE])
        ClientFrameEncoder().encode(data: ClientFrame(requestID: 1, message: .heartbeat(specToken)), out: &buffer)
        ServerFrameEncoder().encode(
            data: ServerFrame(requestID: 1, message: .released(ReleaseResult(ended: true, seatsTotal: 1, seatsInUse: 0))),
            out: &buffer
        )
        #expect(buffer.readInteger(as: UInt8.self) == 0xEE)
        let bodies = try decodeFrames([Array(buffer.readableBytesView)], atEOF: true)
        #expect(bodies.count == 2)
        #expect(try ClientFrame(decoding: bodies[0]).message == .heartbeat(specToken))
        #expect(try ServerFrame(decoding: bodies[1]).message == .released(ReleaseResult(ended: true, seatsTotal: 1, seatsInUse: 0)))
    }

    @Test func featuresAreWrittenInKeyByteOrder() {
        let frame = AnyFrame.server(ServerFrame(requestID: 1, message: .validated(ValidateResult(
            status: .valid, tier: "", licenseExpiresAt: nil,
            features: ["b": "", "a": "", "Z": "", "é": "", "aa": ""],
            seatsTotal: 0, seatsInUse: 0
        ))))
        var body = body(of: frame.encoded)
        body.moveReaderIndex(forwardBy: 5 + 1 + 2 + 8 + 2)
        var keys: [String] = []
        while keys.count < 5, let length = body.readInteger(as: UInt16.self), let key = body.readString(length: Int(length)) {
            keys.append(key)
            body.moveReaderIndex(forwardBy: 2)  // empty value
        }
        #expect(keys == ["Z", "a", "aa", "b", "é"])
    }

    @Test func encoderTruncatesOverlongStringsAtScalarBoundaries() throws {
        let frame = ServerFrame(requestID: 1, message: .error(ErrorReply(
            code: .internalError,
            message: String(repeating: "€", count: 400)  // 1,200 bytes of 3-byte scalars
        )))
        var buffer = ByteBuffer()
        frame.encode(into: &buffer)
        let decoded = try ServerFrame(decoding: try #require(decodeFrames([Array(buffer.readableBytesView)]).first))
        guard case .error(let reply) = decoded.message else {
            Issue.record("expected an error, got \(decoded.message)")
            return
        }
        #expect(reply.message == String(repeating: "€", count: 341))  // 1,023 bytes
    }

    @Test func encoderKeepsFeatureMapsWithinLimits() throws {
        var features = Dictionary(uniqueKeysWithValues: (0..<70).map { (String(format: "f%02d", $0), "x") })
        features[""] = "empty key"
        features[String(repeating: "k", count: 65)] = "long key"
        features["a long value"] = String(repeating: "v", count: 300)
        let frame = ServerFrame(requestID: 1, message: .validated(ValidateResult(
            status: .valid, tier: "", licenseExpiresAt: nil, features: features, seatsTotal: 0, seatsInUse: 0
        )))
        var buffer = ByteBuffer()
        frame.encode(into: &buffer)
        let decoded = try ServerFrame(decoding: try #require(decodeFrames([Array(buffer.readableBytesView)]).first))
        guard case .validated(let result) = decoded.message else {
            Issue.record("expected validated, got \(decoded.message)")
            return
        }
        // The first 64 valid keys in byte order: "a long value", then f00...f62.
        var expected = Dictionary(uniqueKeysWithValues: (0..<63).map { (String(format: "f%02d", $0), "x") })
        expected["a long value"] = String(repeating: "v", count: 256)
        #expect(result.features == expected)
    }

    @Test func timestampsBeforeTheEpochAreWrittenAsZero() throws {
        let frame = ServerFrame(requestID: 1, message: .heartbeatAccepted(HeartbeatAccepted(
            leaseExpiresAt: timestamp(-5), heartbeatIntervalMilliseconds: 1
        )))
        var buffer = ByteBuffer()
        frame.encode(into: &buffer)
        let decoded = try ServerFrame(decoding: try #require(decodeFrames([Array(buffer.readableBytesView)]).first))
        #expect(decoded.message == .heartbeatAccepted(HeartbeatAccepted(leaseExpiresAt: timestamp(0), heartbeatIntervalMilliseconds: 1)))
    }
}
