import Foundation
import SeatClient

/// The example's command line: `[--server host:port[,host:port...]] [--ca FILE] LICENSE`.
struct ExampleArguments {
    var servers = [ServerEndpoint(host: "localhost")]
    var caFile = "./state/tls/ca.pem"
    var licenseKey = "DEMO-CAD-5"

    static func parse(_ arguments: ArraySlice<String>) -> ExampleArguments {
        var parsed = ExampleArguments()
        var rest = arguments
        while let argument = rest.popFirst() {
            switch argument {
            case "--server":
                parsed.servers = (rest.popFirst() ?? "").split(separator: ",").map { entry in
                    let parts = entry.split(separator: ":")
                    return ServerEndpoint(host: String(parts[0]), port: parts.count > 1 ? Int(parts[1]) ?? 7420 : 7420)
                }
            case "--ca":
                parsed.caFile = rest.popFirst() ?? parsed.caFile
            default:
                parsed.licenseKey = argument
            }
        }
        return parsed
    }

    /// The server ended the seat and the lease will not get another one.
    static func isLostForGood(_ state: LeaseState) -> Bool {
        switch state {
        case .lost(let loss), .revoked(let loss): !loss.willReacquire
        default: false
        }
    }

    static func describe(_ state: LeaseState) -> String {
        switch state {
        case .held(let grant): "held (session \(grant.token), \(grant.seatsInUse)/\(grant.seatsTotal) seats in use)"
        case .reconnecting(let interruption): "reconnecting (attempt \(interruption.attempt), \(interruption.cause); next try in \(interruption.retryIn))"
        case .regained(let grant, .sameSession): "regained the same session \(grant.token)"
        case .regained(let grant, .newSession): "regained a new seat, session \(grant.token)"
        case .lost(let loss): "lost: \(loss.reply.message)" + (loss.willReacquire ? "; acquiring again" : "")
        case .waitingForSeat(let shortage): "waiting for a seat (\(shortage.seatsInUse)/\(shortage.seatsTotal) in use)"
        case .revoked(let loss): "revoked: \(loss.reply.message)"
        case .released: "released"
        case .cancelled: "cancelled"
        }
    }
}
