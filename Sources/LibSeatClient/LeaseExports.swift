import CSeatClient
import SeatBuildInfo
import SeatClient
import SeatProtocol

// seat_acquire and the seat_lease_* functions of seat.h.

/// SEAT_WAIT_FOREVER as a duration SeatLease can add to a clock reading without overflow.
private let forever: Duration = .seconds(100 * 365 * 86_400)

@_cdecl("seat_version")
public func seat_version() -> UnsafePointer<CChar> {
    seatd_build_version_line()
}

@_cdecl("seat_acquire")
public func seat_acquire(
    _ config: OpaquePointer?, _ licenseKey: UnsafePointer<CChar>?, _ waitMilliseconds: Int64,
    _ leaseOut: UnsafeMutablePointer<OpaquePointer?>?, _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        guard let leaseOut else { throw Failure.invalidArgument("the lease pointer is NULL") }
        leaseOut.pointee = nil
        let settings = try ConfigObject.from(config).settings.withLock { $0 }
        guard let key = CStrings.string(licenseKey), !key.isEmpty else { throw Failure.invalidArgument("the license key is empty") }
        guard waitMilliseconds >= 0 || waitMilliseconds == Int64(SEAT_WAIT_FOREVER) else {
            throw Failure.invalidArgument("wait_ms \(waitMilliseconds) is neither >= 0 nor SEAT_WAIT_FOREVER")
        }
        let configuration = try settings.configuration()
        let request = settings.request(licenseKey: key)
        let options = LeaseOptions(
            onSessionLoss: settings.lossPolicy,
            waitForSeat: waitMilliseconds < 0 ? forever : .milliseconds(waitMilliseconds)
        )
        let lease = try runBlocking {
            try await SeatLease.acquire(request, configuration: configuration, options: options)
        }
        let object = LeaseObject(lease: lease, callback: settings.callback)
        leaseOut.pointee = OpaquePointer(Unmanaged.passRetained(object).toOpaque())
    }
}

@_cdecl("seat_lease_release")
public func seat_lease_release(_ lease: OpaquePointer?, _ error: UnsafeMutablePointer<seat_error>?) -> Int32 {
    reportingFailures(error) {
        let seatLease = try LeaseObject.from(lease).lease
        _ = try runBlocking { try await seatLease.release() }
    }
}

@_cdecl("seat_lease_free")
public func seat_lease_free(_ lease: OpaquePointer?) {
    guard let lease else { return }
    let unmanaged = Unmanaged<LeaseObject>.fromOpaque(UnsafeRawPointer(lease))
    unmanaged.takeUnretainedValue().shutDown()
    unmanaged.release()
}

@_cdecl("seat_lease_state")
public func seat_lease_state(_ lease: OpaquePointer?) -> seat_state {
    guard let object = try? LeaseObject.from(lease) else { return SEAT_STATE_CANCELLED }
    return CEvent.state(object.lease.state)
}

@_cdecl("seat_lease_get_info")
public func seat_lease_get_info(
    _ lease: OpaquePointer?, _ info: UnsafeMutablePointer<seat_lease_info>?, _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        let object = try LeaseObject.from(lease)
        guard let info else { throw Failure.invalidArgument("the info pointer is NULL") }
        info.pointee = seat_lease_info()
        guard let grant = object.currentGrant else { return }
        info.pointee.is_held = 1
        CStrings.copy((object.lease.session ?? grant.token).hex, into: &info.pointee.session)
        info.pointee.lease_expires_at_ms = (object.lease.leaseExpiresAt ?? grant.leaseExpiresAt).millisecondsSinceEpoch
        info.pointee.heartbeat_interval_ms = Int64(grant.heartbeatIntervalMilliseconds)
        info.pointee.license_expires_at_ms = grant.licenseExpiresAt?.millisecondsSinceEpoch ?? 0
        info.pointee.seats_total = grant.seatsTotal
        info.pointee.seats_in_use = grant.seatsInUse
        CStrings.copy(grant.tier, into: &info.pointee.tier)
    }
}

@_cdecl("seat_lease_feature")
public func seat_lease_feature(
    _ lease: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int
) -> Int32 {
    guard let object = try? LeaseObject.from(lease), let name = CStrings.string(name),
          let value = object.currentGrant?.features[name] else { return -1 }
    let raw = UnsafeMutableRawBufferPointer(start: buffer, count: buffer == nil ? 0 : size)
    return Int32(clamping: CStrings.copy(value, into: raw))
}

@_cdecl("seat_lease_poll")
public func seat_lease_poll(_ lease: OpaquePointer?, _ event: UnsafeMutablePointer<seat_event>?, _ timeoutMilliseconds: Int64) -> Int32 {
    guard let object = try? LeaseObject.from(lease), let event, !object.hasCallback else { return 0 }
    let timeout: Duration? = timeoutMilliseconds < 0 ? nil : .milliseconds(timeoutMilliseconds)
    guard let state = object.events.next(timeout: timeout) else { return 0 }
    event.pointee = CEvent.make(state)
    return 1
}
