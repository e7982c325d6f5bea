import CSeatClient
import SeatClient

// The seat_config_* functions of seat.h.

@_cdecl("seat_config_new")
public func seat_config_new() -> OpaquePointer? {
    OpaquePointer(Unmanaged.passRetained(ConfigObject()).toOpaque())
}

@_cdecl("seat_config_free")
public func seat_config_free(_ config: OpaquePointer?) {
    guard let config else { return }
    Unmanaged<ConfigObject>.fromOpaque(UnsafeRawPointer(config)).release()
}

@_cdecl("seat_config_add_server")
public func seat_config_add_server(
    _ config: OpaquePointer?, _ host: UnsafePointer<CChar>?, _ port: Int32, _ serverName: UnsafePointer<CChar>?,
    _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        let object = try ConfigObject.from(config)
        guard let host = CStrings.string(host), !host.isEmpty else { throw Failure.invalidArgument("the server's host is empty") }
        guard (0...65535).contains(port) else { throw Failure.invalidArgument("port \(port) is not 0...65535") }
        let endpoint = ServerEndpoint(host: host, port: port == 0 ? 7420 : Int(port), serverName: CStrings.string(serverName))
        object.settings.withLock { $0.servers.append(endpoint) }
    }
}

@_cdecl("seat_config_set_ca_file")
public func seat_config_set_ca_file(
    _ config: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        let object = try ConfigObject.from(config)
        guard let path = CStrings.string(path), !path.isEmpty else { throw Failure.invalidArgument("the CA file path is empty") }
        object.settings.withLock { $0.caFile = path }
    }
}

@_cdecl("seat_config_set_access_key")
public func seat_config_set_access_key(
    _ config: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        let object = try ConfigObject.from(config)
        let key = CStrings.string(key)
        object.settings.withLock { $0.accessKey = key }
    }
}

@_cdecl("seat_config_set_identity")
public func seat_config_set_identity(
    _ config: OpaquePointer?, _ user: UnsafePointer<CChar>?, _ hostname: UnsafePointer<CChar>?,
    _ hardwareID: UnsafePointer<CChar>?, _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        let object = try ConfigObject.from(config)
        let user = CStrings.string(user), hostname = CStrings.string(hostname), hardwareID = CStrings.string(hardwareID)
        object.settings.withLock { settings in
            if let user { settings.user = user }
            if let hostname { settings.hostname = hostname }
            if let hardwareID { settings.hardwareID = hardwareID }
        }
    }
}

@_cdecl("seat_config_set_client")
public func seat_config_set_client(
    _ config: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?,
    _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        let object = try ConfigObject.from(config)
        let name = CStrings.string(name), version = CStrings.string(version)
        object.settings.withLock { settings in
            if let name { settings.clientName = name }
            if let version { settings.clientVersion = version }
        }
    }
}

@_cdecl("seat_config_set_timeouts")
public func seat_config_set_timeouts(
    _ config: OpaquePointer?, _ connectMilliseconds: Int64, _ requestMilliseconds: Int64,
    _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        let object = try ConfigObject.from(config)
        guard connectMilliseconds > 0, requestMilliseconds > 0 else { throw Failure.invalidArgument("timeouts must be above 0 ms") }
        object.settings.withLock { settings in
            settings.connectTimeout = .milliseconds(connectMilliseconds)
            settings.requestTimeout = .milliseconds(requestMilliseconds)
        }
    }
}

@_cdecl("seat_config_set_loss_policy")
public func seat_config_set_loss_policy(
    _ config: OpaquePointer?, _ policy: seat_loss_policy, _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        let object = try ConfigObject.from(config)
        let chosen: SessionLossPolicy
        switch policy {
        case SEAT_LOSS_REACQUIRE: chosen = .reacquire
        case SEAT_LOSS_REACQUIRE_EVEN_IF_REVOKED: chosen = .reacquireEvenIfRevoked
        case SEAT_LOSS_STOP: chosen = .stop
        default: throw Failure.invalidArgument("unknown loss policy \(policy.rawValue)")
        }
        object.settings.withLock { $0.lossPolicy = chosen }
    }
}

@_cdecl("seat_config_set_state_callback")
public func seat_config_set_state_callback(
    _ config: OpaquePointer?, _ callback: (@convention(c) (UnsafePointer<seat_event>?, UnsafeMutableRawPointer?) -> Void)?,
    _ userData: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<seat_error>?
) -> Int32 {
    reportingFailures(error) {
        let object = try ConfigObject.from(config)
        let target = callback.map { CallbackTarget(function: $0, userData: userData) }
        object.settings.withLock { $0.callback = target }
    }
}
