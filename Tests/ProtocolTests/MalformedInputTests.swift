import NIOCore
import SeatCore
import SeatProtocol
import Testing

private func clientError(_ body: ByteBuffer) -> WireError? {
    #expect(throws: WireError.self) { _ = try ClientFrame(decoding: body) }
}

private func serverError(_ body: ByteBuffer) -> WireError? {
    #expect(throws: WireError.self) { _ = try ServerFrame(decoding: body) }
}

private func acquireBody(
    licenseKey: [UInt8] = Array("key".utf8),
    user: [UInt8] = Array("user".utf8),
    hostname: [UInt8] = [],
    hardwareID: [UInt8] = Array("hw".utf8),
    clientVersion: [UInt8] = []
) -> ByteBuffer {
    rawBody(type: 0x02, requestID: 42) {
        $0.putString(licenseKey)
        $0.putString(user)
        $0.putString(hostname)
        $0.putString(hardwareID)
        $0.putString(clientVersion)
    }
}

private func helloBody(magic: UInt32 = WireConstants.magic, minimum: UInt16 = 1, maximum: UInt16 = 1) -> ByteBuffer {
    rawBody(type: 0x01, requestID: 42) {
        $0.writeMultipleIntegers(magic, minimum, maximum)
        $0.putString("name")
    }
}

/// A Validated body whose feature map is written by `features`.
private func validatedBody(status: UInt8 = 0, licenseExpiresAt: UInt64 = 0, features: (inout ByteBuffer) -> Void) -> ByteBuffer {
    rawBody(type: 0x85, requestID: 42) {
        $0.writeInteger(status)
        $0.putString("pro")
        $0.writeInteger(licenseExpiresAt)
        features(&$0)
        $0.writeMultipleIntegers(UInt32(1), UInt32(0))
    }
}

private func errorBody(code: UInt16, detail: [UInt8]) -> ByteBuffer {
    rawBody(type: 0xFF, requestID: 42) {
        $0.writeInteger(code)
        $0.putString("message")
        $0.writeInteger(UInt16(detail.count))
        $0.writeBytes(detail)
    }
}

@Suite("Malformed input")
struct MalformedInputTests {
    @Test func wellFormedHandBuiltBodiesDecode() throws {
        #expect(try ClientFrame(decoding: acquireBody()).message == .acquire(AcquireRequest(
            licenseKey: "key", user: "user", hostname: "", hardwareID: "hw", clientVersion: ""
        )))
        #expect(try ClientFrame(decoding: helloBody()).message == .hello(Hello(minimumVersion: 1, maximumVersion: 1, clientName: "name")))
        _ = try ServerFrame(decoding: validatedBody { $0.writeInteger(UInt16(0)) })
    }

    @Test func trailingBytesAreMalformed() {
        for var body in [acquireBody(), helloBody(), errorBody(code: 104, detail: [])] {
            body.writeInteger(UInt8(0))
            let error = body.getInteger(at: 0, as: UInt8.self)! < 0x80 ? clientError(body) : serverError(body)
            #expect(error?.code == .malformedMessage)
            #expect(error?.requestID == 42)
            #expect(error?.reason.contains("trailing") == true)
        }
    }

    @Test func invalidUTF8IsRejected() {
        let invalid: [[UInt8]] = [[0xFF], [0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x61, 0xF8, 0x88, 0x80, 0x80, 0x80]]
        for bytes in invalid {
            #expect(clientError(acquireBody(user: bytes))?.code == .invalidUTF8)
            #expect(clientError(acquireBody(hostname: bytes))?.code == .invalidUTF8)
            #expect(serverError(validatedBody { $0.writeInteger(UInt16(1)); $0.putString(bytes); $0.putString("v") })?.code == .invalidUTF8)
            #expect(serverError(validatedBody { $0.writeInteger(UInt16(1)); $0.putString("k"); $0.putString(bytes) })?.code == .invalidUTF8)
        }
    }

    @Test func overlongFieldsAreInvalid() {
        let cases: [ByteBuffer] = [
            acquireBody(licenseKey: Array(repeating: 0x61, count: 129)),
            acquireBody(user: Array(repeating: 0x61, count: 257)),
            acquireBody(hostname: Array(repeating: 0x61, count: 256)),
            acquireBody(hardwareID: Array(repeating: 0x61, count: 257)),
            acquireBody(clientVersion: Array(repeating: 0x61, count: 65)),
            rawBody(type: 0x01, requestID: 42) {
                $0.writeMultipleIntegers(WireConstants.magic, UInt16(1), UInt16(1))
                $0.putString(String(repeating: "n", count: 65))
            },
            rawBody(type: 0x05, requestID: 42) { $0.putString(String(repeating: "k", count: 129)) },
        ]
        for body in cases {
            let error = clientError(body)
            #expect(error?.code == .invalidField)
            #expect(error?.requestID == 42)
        }
        let serverCases: [ByteBuffer] = [
            validatedBody { $0.writeInteger(UInt16(65)) },
            validatedBody { $0.writeInteger(UInt16(1)); $0.putString(String(repeating: "k", count: 65)); $0.putString("") },
            validatedBody { $0.writeInteger(UInt16(1)); $0.putString("k"); $0.putString(String(repeating: "v", count: 257)) },
            rawBody(type: 0x81, requestID: 42) {
                $0.writeMultipleIntegers(UInt16(1), UInt32(1), UInt32(1), UInt32(1))
                $0.putString(String(repeating: "s", count: 65))
            },
            rawBody(type: 0xFF, requestID: 42) { $0.writeInteger(UInt16(1)); $0.putString(String(repeating: "m", count: 1025)) },
            errorBody(code: 9999, detail: Array(repeating: 0, count: 1025)),
        ]
        for body in serverCases {
            #expect(serverError(body)?.code == .invalidField)
        }
    }

    @Test func overlongFieldIsRefusedBeforeItsBytesArrive() {
        // Only the length is present: the limit is checked before the bytes are needed.
        let body = rawBody(type: 0x05, requestID: 42) { $0.writeInteger(UInt16.max) }
        #expect(clientError(body)?.code == .invalidField)
    }

    @Test func emptyRequiredFieldsAreInvalid() {
        let cases = [
            acquireBody(licenseKey: []),
            acquireBody(user: []),
            acquireBody(hardwareID: []),
            rawBody(type: 0x05, requestID: 42) { $0.putString("") },
        ]
        for body in cases {
            let error = clientError(body)
            #expect(error?.code == .invalidField)
            #expect(error?.reason.contains("0 bytes") == true)
        }
        #expect(serverError(validatedBody { $0.writeInteger(UInt16(1)); $0.putString(""); $0.putString("v") })?.code == .invalidField)
    }

    @Test func authenticationAndAdminFieldsAreChecked() {
        // Authenticate: an empty key, a key over 256 bytes, invalid UTF-8.
        #expect(clientError(rawBody(type: 0x06) { $0.putString("") })?.code == .invalidField)
        #expect(clientError(rawBody(type: 0x06) { $0.putString(String(repeating: "k", count: 257)) })?.code == .invalidField)
        #expect(clientError(rawBody(type: 0x06) { $0.putString([0xC3, 0x28]) })?.code == .invalidUTF8)
        // AdminRequest: a u32 length beyond the bytes present, and below the minimum.
        #expect(clientError(rawBody(type: 0x10) { $0.writeInteger(UInt32(100)); $0.writeString("{}") })?.code == .malformedMessage)
        #expect(clientError(rawBody(type: 0x10) { $0.writeInteger(UInt32(1)); $0.writeString("{") })?.code == .invalidField)
        // Authenticated with an unknown role; SessionRevoked with an unknown reason.
        #expect(serverError(rawBody(type: 0x86) { $0.putString("acme"); $0.writeInteger(UInt8(7)) })?.code == .invalidField)
        #expect(serverError(rawBody(type: 0xA0, requestID: 0) {
            $0.writeMultipleIntegers(UInt64(1), UInt64(2))
            $0.writeInteger(UInt8(9))
            $0.putString("")
        })?.code == .invalidField)
    }

    @Test func unknownMessageTypesKeepTheRequestID() {
        for type in [0x00, 0x07, 0x11, 0x7F, 0x80, 0x81, 0x85, 0x86, 0x90, 0xA0, 0xFE, 0xFF] as [UInt8] {
            let error = clientError(rawBody(type: type, requestID: 42))
            #expect(error?.code == .unknownMessageType)
            #expect(error?.requestID == 42)
        }
        for type in [0x00, 0x01, 0x05, 0x06, 0x10, 0x80, 0x87, 0x91, 0xA1, 0xFE] as [UInt8] {
            #expect(serverError(rawBody(type: type, requestID: 42))?.code == .unknownMessageType)
        }
    }

    @Test func clientRequestIDZeroIsReserved() {
        var heartbeat = rawBody(type: 0x03, requestID: 0)
        heartbeat.writeMultipleIntegers(UInt64(1), UInt64(2))
        let error = clientError(heartbeat)
        #expect(error?.code == .malformedMessage)
        #expect(error?.requestID == 0)
        #expect(error?.errorReply == ErrorReply(code: .malformedMessage, message: error?.reason ?? ""))
    }

    @Test func serverRequestIDZeroIsAllowed() throws {
        let body = errorBody(code: 9, detail: [])
        var zero = ByteBuffer(bytes: body.readableBytesView)
        zero.setInteger(UInt32(0), at: 1)
        #expect(try ServerFrame(decoding: zero) == ServerFrame(requestID: 0, message: .error(ErrorReply(code: .idleTimeout, message: "message"))))
    }

    @Test func boolsMustBeZeroOrOne() {
        for value in [2, 0x80, 0xFF] as [UInt8] {
            let released = rawBody(type: 0x84, requestID: 42) {
                $0.writeInteger(value)
                $0.writeMultipleIntegers(UInt32(1), UInt32(1))
            }
            let error = serverError(released)
            #expect(error?.code == .malformedMessage)
            #expect(error?.requestID == 42)
        }
    }

    @Test func helloNeedsTheMagicAndAnOrderedRange() {
        for magic in [0, 0x5445_4153, 0x5345_4155] as [UInt32] {
            #expect(clientError(helloBody(magic: magic))?.code == .malformedMessage)
        }
        #expect(clientError(helloBody(minimum: 2, maximum: 1))?.code == .invalidField)
    }

    @Test func duplicateFeatureKeysAreMalformed() {
        let body = validatedBody {
            $0.writeInteger(UInt16(2))
            $0.putString("seats"); $0.putString("1")
            $0.putString("seats"); $0.putString("2")
        }
        let error = serverError(body)
        #expect(error?.code == .malformedMessage)
        #expect(error?.reason.contains("duplicate") == true)
    }

    @Test func canonicallyEquivalentFeatureKeysAreDuplicates() {
        let body = validatedBody {
            $0.writeInteger(UInt16(2))
            $0.putString("\u{E9}"); $0.putString("1")
            $0.putString("e\u{301}"); $0.putString("2")
        }
        #expect(serverError(body)?.code == .malformedMessage)
    }

    @Test func unknownLicenseStatusIsInvalid() {
        #expect(serverError(validatedBody(status: 4) { $0.writeInteger(UInt16(0)) })?.code == .invalidField)
    }

    @Test func timestampsAboveInt64AreInvalid() throws {
        #expect(serverError(validatedBody(licenseExpiresAt: 1 << 63) { $0.writeInteger(UInt16(0)) })?.code == .invalidField)
        let largest = try ServerFrame(decoding: validatedBody(licenseExpiresAt: UInt64(Int64.max)) { $0.writeInteger(UInt16(0)) })
        guard case .validated(let result) = largest.message else {
            Issue.record("expected validated, got \(largest.message)")
            return
        }
        #expect(result.licenseExpiresAt == timestamp(.max))
    }

    @Test func errorDetailsDecodeByCodeAndLength() throws {
        func detail(_ code: UInt16, _ bytes: [UInt8]) throws -> ErrorReply {
            guard case .error(let reply) = try ServerFrame(decoding: errorBody(code: code, detail: bytes)).message else {
                throw WireError(code: .internalError, reason: "not an error reply")
            }
            return reply
        }
        let sixteen: [UInt8] = [0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x03, 0xE8]
        #expect(try detail(104, sixteen).detail == .noSeats(seatsTotal: 5, seatsInUse: 5, nextFreeAt: timestamp(1000)))
        #expect(try detail(104, sixteen + [0]).detail == .raw(sixteen + [0]))
        #expect(try detail(104, []).detail == ErrorDetail.none)
        #expect(try detail(5, [0, 1, 0, 2]).detail == .supportedVersions(minimum: 1, maximum: 2))
        #expect(try detail(101, Array(sixteen.suffix(8))).detail == .licenseExpired(at: timestamp(1000)))
        let policy: [UInt8] = [3, 0, 0, 0, 2, 0, 0, 0, 10, 0, 0, 0, 7, 0, 0, 0, 0]
        #expect(try detail(105, policy).detail == .policyDenied(reason: .overMax, limit: 2, seatsTotal: 10, seatsInUse: 7, reservedFreeSeats: 0))
        // A reason this version does not know, or a longer layout, is kept raw.
        #expect(try detail(105, [9] + policy.dropFirst()).detail == .raw([9] + policy.dropFirst()))
        #expect(try detail(105, policy + [0]).detail == .raw(policy + [0]))
        #expect(try detail(110, [1, 2]).detail == .raw([1, 2]))
        let unknown = try detail(4242, [9])
        #expect(unknown.code == nil)
        #expect(unknown.rawCode == 4242)
        #expect(unknown.detail == .raw([9]))
        // A known layout whose timestamp is out of range is still an invalid field.
        #expect(serverError(errorBody(code: 101, detail: Array(repeating: 0xFF, count: 8)))?.code == .invalidField)
    }

    /// protocol-spec.md 8.2: a `notActive` detail that is not exactly one valid string of at
    /// most 255 bytes is kept raw, never an error.
    @Test func notActiveDetailsThatBreakTheLayoutAreKeptRaw() throws {
        func detail(_ bytes: [UInt8]) throws -> ErrorDetail {
            guard case .error(let reply) = try ServerFrame(decoding: errorBody(code: 204, detail: bytes)).message else {
                throw WireError(code: .internalError, reason: "not an error reply")
            }
            #expect(reply.code == .notActive)
            return reply.detail
        }
        let address = Array("seat-b:7420".utf8)
        #expect(try detail([0, UInt8(address.count)] + address) == .activeNode(address: "seat-b:7420"))
        #expect(try detail([0, 0]) == .activeNode(address: ""))
        #expect(try detail([]) == ErrorDetail.none)
        let garbage: [[UInt8]] = [
            [0],  // shorter than the string's length
            [0, UInt8(address.count + 1)] + address,  // the string runs past the detail
            [0, UInt8(address.count - 1)] + address,  // bytes after the string
            [0, 2, 0xC3, 0x28],  // not UTF-8
            [0, 3, 0xED, 0xA0, 0x80],  // a surrogate
            [1, 0] + Array(repeating: 0x61, count: 256),  // 256 bytes: above the limit
        ]
        for bytes in garbage { #expect(try detail(bytes) == .raw(bytes)) }
        // 255 bytes is the longest address.
        let longest = Array(repeating: UInt8(0x61), count: 255)
        #expect(try detail([0, 255] + longest) == .activeNode(address: String(repeating: "a", count: 255)))
    }

    /// An address too long for the detail is sent as none rather than cut to a wrong one.
    @Test func anOverlongActiveNodeIsSentEmpty() throws {
        let long = String(repeating: "a", count: 256)
        let frame = ServerFrame(requestID: 4, message: .error(ErrorReply(code: .notActive, message: "", detail: .activeNode(address: long))))
        let decoded = try ServerFrame(decoding: body(of: AnyFrame.server(frame).encoded))
        #expect(decoded.message == .error(ErrorReply(code: .notActive, message: "", detail: .activeNode(address: ""))))
    }

    @Test func framesShorterThanTheHeaderHaveNoRequestID() {
        for length in 0..<WireConstants.minimumBodyBytes {
            let body = ByteBuffer(bytes: [0x03, 0, 0, 0, 1].prefix(length))
            let error = clientError(body)
            #expect(error?.code == .malformedMessage)
            #expect(error?.requestID == nil)
        }
    }
}
