import ArgumentParser
import Foundation
import SeatClient

/// The license and who holds the seat. The server hands the same (license, user, hardware
/// id) its live session back instead of a second seat.
struct HolderOptions: ParsableArguments {
    @Option(help: "License key.") var license: String
    @Option(help: "User name (default: $USER).") var user: String = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    @Option(help: "Host name reported to the server (default: this host).") var hostname: String = ProcessInfo.processInfo.hostName
    @Option(help: "Hardware id; the same user and hardware id get the same seat back (default: this host's machine id).")
    var hardwareID: String = MachineIdentity.hardwareID()

    var seatRequest: SeatRequest {
        SeatRequest(licenseKey: license, user: user, hostname: hostname, hardwareID: hardwareID, clientVersion: "seatctl")
    }
}
