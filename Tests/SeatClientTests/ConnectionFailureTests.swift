import Glibc
import NIOCore
@testable import SeatClient
import Testing

/// The sentences for connection failures, from the errors NIO and NIOSSL raise.
@Suite struct ConnectionFailureTests {
    struct TextError: Error, CustomStringConvertible {
        var description: String
    }

    func kind(_ error: any Error) -> ConnectionFailure.Kind {
        ConnectionFailure.explaining(error, server: "ls.example:7420", caFile: "/etc/seat/ca.pem").kind
    }

    @Test func classifiesTheCommonCauses() {
        #expect(kind(IOError(errnoCode: ECONNREFUSED, reason: "connect")) == .refused)
        #expect(kind(ChannelError.connectTimeout(.seconds(10))) == .timedOut)
        #expect(kind(ChannelError.ioOnClosedChannel) == .closed)
        #expect(kind(SeatClientError.connectionClosed) == .closed)
        #expect(kind(TextError(description: "handshakeFailed(sslError([error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED]))")) == .untrustedCertificate)
        #expect(kind(TextError(description: "handshakeFailed(sslError([error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER]))")) == .notTLS)
        #expect(kind(TextError(description: "failedToValidateHostname: expected name 127.0.0.2")) == .wrongHostname)
        #expect(kind(TextError(description: "something new")) == .other)
    }

    @Test func sentencesNameTheServerTheFileAndAFix() {
        let untrusted = ConnectionFailure.explaining(
            TextError(description: "CERTIFICATE_VERIFY_FAILED"), server: "ls.example:7420", caFile: "/etc/seat/ca.pem")
        #expect(untrusted.description.contains("ls.example:7420"))
        #expect(untrusted.description.contains("/etc/seat/ca.pem"))
        #expect(!untrusted.description.contains("CERTIFICATE_VERIFY_FAILED"))
        let other = ConnectionFailure.explaining(TextError(description: "something new"), server: "ls.example:7420", caFile: "ca.pem")
        #expect(other.description == "connecting to ls.example:7420 failed: something new", "an unknown cause keeps its own text")
    }
}
