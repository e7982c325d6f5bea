import NIOCore
import SeatCore
import SeatProtocol
import Testing

/// Borrow (0x0B) and Borrowed (0x8B) bodies outside their limits (protocol-spec.md 6.8, 7.10).
@Suite("Borrow messages")
struct BorrowMessageTests {
    private func borrowBody(minutes: UInt32) -> ByteBuffer {
        rawBody(type: 0x0B, requestID: 42) {
            for field in ["key", "user", "", "hw", ""] { $0.putString(field) }
            $0.writeInteger(minutes)
        }
    }

    private func borrowedBody(leaseLength: UInt16, leaseBytes: Int) -> ByteBuffer {
        rawBody(type: 0x8B, requestID: 42) {
            $0.writeBytes(specToken.bytes)
            $0.writeInteger(UInt64(1_767_830_400_000))
            $0.writeMultipleIntegers(UInt32(10), UInt32(1))
            $0.writeInteger(UInt8(0))
            $0.writeInteger(leaseLength)
            $0.writeBytes([UInt8](repeating: 7, count: leaseBytes))
        }
    }

    @Test func aBorrowOfAtLeastAMinuteDecodes() throws {
        let frame = try ClientFrame(decoding: borrowBody(minutes: 1))
        #expect(frame.message == .borrow(BorrowRequest(
            seat: AcquireRequest(licenseKey: "key", user: "user", hostname: "", hardwareID: "hw", clientVersion: ""), durationMinutes: 1)))
    }

    @Test func aBorrowOfNoMinutesIsAnInvalidField() {
        do {
            _ = try ClientFrame(decoding: borrowBody(minutes: 0))
            Issue.record("a borrow of 0 minutes decoded")
        } catch {
            #expect(error.code == .invalidField)
        }
    }

    @Test func aBorrowedLeaseOutsideOneTo1024BytesIsAnInvalidField() throws {
        let largest = try ServerFrame(decoding: borrowedBody(leaseLength: 1024, leaseBytes: 1024))
        guard case .borrowed(let grant) = largest.message else { Issue.record("not Borrowed"); return }
        #expect(grant.lease.count == 1024)
        for length in [UInt16(0), 1025] {
            do {
                _ = try ServerFrame(decoding: borrowedBody(leaseLength: length, leaseBytes: Int(length)))
                Issue.record("a lease of \(length) bytes decoded")
            } catch {
                #expect(error.code == .invalidField)
            }
        }
    }

    @Test func aBorrowedLeaseShorterThanItsLengthIsMalformed() {
        do {
            _ = try ServerFrame(decoding: borrowedBody(leaseLength: 100, leaseBytes: 99))
            Issue.record("a truncated lease decoded")
        } catch {
            #expect(error.code == .malformedMessage)
        }
    }
}
