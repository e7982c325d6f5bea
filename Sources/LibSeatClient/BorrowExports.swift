import CSeatClient
import Foundation
import SeatClient
import SeatCore
import SeatLicensing

// seat_borrow_verify of seat.h.

@_cdecl("seat_borrow_verify")
public func seat_borrow_verify(
    _ leaseFile: UnsafePointer<CChar>?, _ publicKeyFile: UnsafePointer<CChar>?, _ nowMilliseconds: Int64,
    _ hardwareID: UnsafePointer<CChar>?, _ verdictOut: UnsafeMutablePointer<seat_borrow_verdict>?,
    _ leaseOut: UnsafeMutablePointer<seat_borrow_lease>?, _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        guard let verdictOut else { throw Failure.invalidArgument("the verdict pointer is NULL") }
        guard let leasePath = CStrings.string(leaseFile), !leasePath.isEmpty else { throw Failure.invalidArgument("the lease file path is empty") }
        guard let keyPath = CStrings.string(publicKeyFile), !keyPath.isEmpty else { throw Failure.invalidArgument("the public key file path is empty") }
        leaseOut?.pointee = seat_borrow_lease()
        let publicKey: BorrowPublicKey
        let seat: BorrowedSeat
        do {
            publicKey = try BorrowPublicKey.read(from: keyPath)
            seat = try BorrowedSeat.read(from: leasePath)
        } catch {
            throw Failure(code: SEAT_ERR_CLIENT, "\(error)")
        }
        let now = nowMilliseconds == 0
            ? Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
            : Timestamp(millisecondsSinceEpoch: nowMilliseconds)
        let verdict = seat.verify(trusting: publicKey, now: now, hardwareID: CStrings.string(hardwareID) ?? MachineIdentity.hardwareID())
        switch verdict {
        case .valid(let lease):
            verdictOut.pointee = SEAT_BORROW_VALID
            leaseOut?.pointee = CBorrowLease.make(lease)
        case .expired(let lease):
            verdictOut.pointee = SEAT_BORROW_EXPIRED
            leaseOut?.pointee = CBorrowLease.make(lease)
        case .wrongMachine(let lease):
            verdictOut.pointee = SEAT_BORROW_WRONG_MACHINE
            leaseOut?.pointee = CBorrowLease.make(lease)
        case .badSignature:
            verdictOut.pointee = SEAT_BORROW_BAD_SIGNATURE
        case .unreadable:
            verdictOut.pointee = SEAT_BORROW_UNREADABLE
        }
    }
}

/// A lease as seat.h hands it out.
private enum CBorrowLease {
    static func make(_ lease: BorrowLease) -> seat_borrow_lease {
        var out = seat_borrow_lease()
        CStrings.copy(BorrowLease.idText(lease.leaseID), into: &out.lease_id)
        CStrings.copy(lease.licenseKey, into: &out.license_key)
        CStrings.copy(lease.tenant, into: &out.tenant)
        CStrings.copy(lease.user, into: &out.user)
        CStrings.copy(lease.hardwareID, into: &out.hardware_id)
        out.issued_at_ms = lease.issuedAt.millisecondsSinceEpoch
        out.expires_at_ms = lease.expiresAt.millisecondsSinceEpoch
        return out
    }
}
