import SeatClient
import SeatProtocol
import Testing

/// Malformed, hostile or silent clients get a defined error or a clean close, and the
/// daemon keeps serving everyone else.
@Suite struct BadInputTests {
    /// No short idle or handshake timeout here: a connection that sits a moment on a loaded
    /// machine must not be closed under a test. The timers have their own smoke test.
    static let settings = ["max_frame_bytes": "4096"]

    /// Length prefix + type + request id + payload.
    static func rawFrame(type: UInt8, requestID: UInt32, payload: [UInt8]) -> [UInt8] {
        let body = [type] + bigEndian(requestID) + payload
        return bigEndian(UInt32(body.count)) + body
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static func expectError(_ event: RawConnection.RawEvent?, _ code: ErrorCode, requestID: UInt32? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .frame(let frame) = event, case .error(let reply) = frame.message else {
            Issue.record("expected error \(code), got \(String(describing: event))", sourceLocation: sourceLocation)
            return
        }
        #expect(reply.code == code, sourceLocation: sourceLocation)
        if let requestID { #expect(frame.requestID == requestID, sourceLocation: sourceLocation) }
    }

    /// Connects over TLS and completes Hello.
    static func established(_ daemon: DaemonProcess) async throws -> RawConnection {
        let raw = try await RawConnection.connect(port: daemon.port, caFile: daemon.caFile)
        try await raw.write(.hello())
        guard case .frame(let frame) = await raw.next(), case .helloAccepted = frame.message else {
            throw SeatClientError.unexpectedReply("no HelloAccepted")
        }
        return raw
    }

    /// Proves the daemon still serves a well-behaved client.
    static func expectStillServing(_ daemon: DaemonProcess, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let client = try await daemon.connect()
        let result = try await client.validate(licenseKey: "L")
        #expect(result.status == .valid, sourceLocation: sourceLocation)
        await client.close()
    }

    @Test func oversizedLengthHeaderIsRejectedAtOnce() async throws {
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)], settings: Self.settings) { daemon in
            let raw = try await Self.established(daemon)
            // Announces 2 GiB but sends only the header: rejected without waiting for the body.
            try await raw.write([0x7f, 0xff, 0xff, 0xff])
            Self.expectError(await raw.next(), .frameTooLarge, requestID: 0)
            #expect(await raw.next() == .closed)
            try await Self.expectStillServing(daemon)
        }
    }

    @Test func unknownTypeAndBadFieldsGetErrorsAndTheConnectionStaysUsable() async throws {
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)], settings: Self.settings) { daemon in
            let raw = try await Self.established(daemon)
            try await raw.write(Self.rawFrame(type: 0x42, requestID: 7, payload: []))
            Self.expectError(await raw.next(), .unknownMessageType, requestID: 7)
            // Validate with a license key that is not UTF-8.
            try await raw.write(Self.rawFrame(type: 0x05, requestID: 8, payload: [0, 2, 0xff, 0xfe]))
            Self.expectError(await raw.next(), .invalidUTF8, requestID: 8)
            // Validate whose string runs past the end of the frame.
            try await raw.write(Self.rawFrame(type: 0x05, requestID: 9, payload: [0, 50, 0x41]))
            Self.expectError(await raw.next(), .malformedMessage, requestID: 9)
            // A second Hello.
            try await raw.write(.hello(id: 10))
            Self.expectError(await raw.next(), .unexpectedMessage, requestID: 10)
            // The same connection still answers a good request.
            try await raw.write(ClientFrame(requestID: 11, message: .validate(licenseKey: "L")))
            guard case .frame(let frame) = await raw.next(), case .validated(let result) = frame.message else {
                Issue.record("no Validated reply")
                return
            }
            #expect(frame.requestID == 11)
            #expect(result.status == .valid)
            await raw.close()
        }
    }

    @Test func wrongVersionIsRefusedWithTheSupportedRange() async throws {
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)], settings: Self.settings) { daemon in
            let raw = try await RawConnection.connect(port: daemon.port, caFile: daemon.caFile)
            try await raw.write(.hello(minimum: 7, maximum: 9))
            let event = await raw.next()
            Self.expectError(event, .unsupportedVersion, requestID: 1)
            if case .frame(let frame) = event, case .error(let reply) = frame.message {
                #expect(reply.detail == .supportedVersions(minimum: 1, maximum: 2))
            }
            #expect(await raw.next() == .closed)
            try await Self.expectStillServing(daemon)
        }
    }

    @Test func requestBeforeHelloIsRefused() async throws {
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)], settings: Self.settings) { daemon in
            let raw = try await RawConnection.connect(port: daemon.port, caFile: daemon.caFile)
            try await raw.write(ClientFrame(requestID: 3, message: .validate(licenseKey: "L")))
            Self.expectError(await raw.next(), .helloRequired, requestID: 3)
            #expect(await raw.next() == .closed)
        }
    }

    @Test func truncatedFrameThenEOFClosesCleanly() async throws {
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)], settings: Self.settings) { daemon in
            let raw = try await Self.established(daemon)
            try await raw.write([0, 0, 0, 100, 0x05, 0, 0, 0])
            try await raw.finishWriting()
            var sawClose = false
            while let event = await raw.next(timeout: .seconds(5)) {
                if event == .closed { sawClose = true; break }
            }
            #expect(sawClose)
            try await Self.expectStillServing(daemon)
        }
    }

    @Test func plaintextOnTheTLSPortIsClosed() async throws {
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)], settings: Self.settings) { daemon in
            let raw = try await RawConnection.connect(port: daemon.port, caFile: nil)
            try await raw.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            var sawClose = false
            while let event = await raw.next(timeout: .seconds(5)) {
                if event == .closed { sawClose = true; break }
            }
            #expect(sawClose)
            try await Self.expectStillServing(daemon)
        }
    }

    /// A live smoke check of the two connection timers (their timing is tested on a manual
    /// clock in SeatServerTests): a silent client is closed after the handshake timeout, an
    /// idle one is told `idleTimeout` and closed. Each is given 15 times its timeout; the
    /// handshake timeout also bounds the idle client's own handshake and Hello, so it is not
    /// shorter than the idle one (a loaded machine can take a second for those).
    @Test func silentAndIdleConnectionsAreClosedByTheirTimers() async throws {
        let timers = Self.settings.merging(["handshake_timeout_seconds": "2", "idle_timeout_seconds": "2"]) { $1 }
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)], settings: timers) { daemon in
            let silent = try await RawConnection.connect(port: daemon.port, caFile: nil)
            // TLS up, then nothing: told why before the close (protocol-spec.md, section 10).
            let noHello = try await RawConnection.connect(port: daemon.port, caFile: daemon.caFile)
            let idle = try await Self.established(daemon)
            #expect(await silent.next(timeout: .seconds(30)) == .closed)
            Self.expectError(await noHello.next(timeout: .seconds(30)), .idleTimeout, requestID: 0)
            #expect(await noHello.next() == .closed)
            Self.expectError(await idle.next(timeout: .seconds(30)), .idleTimeout, requestID: 0)
            #expect(await idle.next() == .closed)
            try await Self.expectStillServing(daemon)
        }
    }

    @Test func connectionsBeyondTheLimitAreClosedAndOthersKeepWorking() async throws {
        var settings = Self.settings
        settings["max_connections"] = "2"
        try await withDaemon(licenses: [TestLicense(key: "L", seats: 1)], settings: settings) { daemon in
            let first = try await daemon.connect()
            let second = try await daemon.connect()
            let third = try await RawConnection.connect(port: daemon.port, caFile: daemon.caFile)
            // Closed before the TLS handshake completes, so the write itself may fail.
            try? await third.write(.hello())
            #expect(await third.next() == .closed)
            #expect(try await first.validate(licenseKey: "L").status == .valid)
            await second.close()
            // A slot frees once the server has seen the close; until then a new connection
            // is closed like the third.
            var fourth: SeatConnection?
            try await waitUntil("a connection to be accepted again") {
                fourth = try? await daemon.connect()
                return fourth != nil
            }
            #expect(try await fourth?.validate(licenseKey: "L").status == .valid)
            await first.close()
            await fourth?.close()
        }
    }
}
