import CSeatClient
import SeatClient
import Synchronization

/// Where a state callback goes: the application's function and its `user_data`.
///
/// `@unchecked Sendable`: the pointers are the application's; seat.h documents that the
/// callback is called on the lease's callback thread, so the application has agreed to
/// `user_data` being used there.
struct CallbackTarget: @unchecked Sendable {
    let function: @convention(c) (UnsafePointer<seat_event>?, UnsafeMutableRawPointer?) -> Void
    let userData: UnsafeMutableRawPointer?
}

/// What a `seat_config` holds. A plain value: `seat_acquire` takes a copy.
struct ClientSettings: Sendable {
    var servers: [ServerEndpoint] = []
    var caFile: String?
    var accessKey: String?
    var user: String?
    var hostname: String?
    var hardwareID: String?
    var clientName = "libseatclient"
    var clientVersion = ""
    var connectTimeout: Duration = .seconds(10)
    var requestTimeout: Duration = .seconds(15)
    var lossPolicy: SessionLossPolicy = .reacquire
    var callback: CallbackTarget?

    /// The SeatClient configuration, or why there is none yet.
    ///
    /// The CA file is loaded here once: a lease would only report each connection failing,
    /// as an unreachable server, and the application should learn the real cause.
    func configuration() throws(Failure) -> SeatClientConfiguration {
        guard !servers.isEmpty else { throw .invalidArgument("no server configured (seat_config_add_server)") }
        guard let caFile else { throw .invalidArgument("no CA file configured (seat_config_set_ca_file)") }
        do {
            _ = try SeatClientConfiguration.makeTLSContext(trustRootsFile: caFile)
        } catch let error as SeatClientError {
            throw Failure(code: SEAT_ERR_CA_UNREADABLE, error.description)
        } catch {
            throw Failure(code: SEAT_ERR_CA_UNREADABLE, "the CA file \(caFile) holds no usable PEM certificate: \(error)")
        }
        return SeatClientConfiguration(
            servers: servers,
            trustRootsFile: caFile,
            connectTimeout: connectTimeout,
            requestTimeout: requestTimeout,
            clientName: clientName,
            accessKey: accessKey
        )
    }

    /// The request for `licenseKey`, with SeatRequest's defaults where no identity was set.
    func request(licenseKey: String) -> SeatRequest {
        var request = SeatRequest(licenseKey: licenseKey, clientVersion: clientVersion)
        if let user { request.user = user }
        if let hostname { request.hostname = hostname }
        if let hardwareID { request.hardwareID = hardwareID }
        return request
    }
}

/// The object behind a `seat_config *`: the settings under a lock, so any thread may use it.
final class ConfigObject: Sendable {
    let settings = Mutex(ClientSettings())

    /// The object a `seat_config *` points at. The pointer came from `seat_config_new`.
    static func from(_ pointer: OpaquePointer?) throws(Failure) -> ConfigObject {
        guard let pointer else { throw .invalidArgument("the config is NULL") }
        return Unmanaged<ConfigObject>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}
