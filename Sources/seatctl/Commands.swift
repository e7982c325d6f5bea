import ArgumentParser
import Foundation
import SeatClient
import SeatCore
import SeatProtocol

struct Acquire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Acquire a seat (prints the session token).")

    @OptionGroup var server: ServerOptions
    @OptionGroup var holder: HolderOptions

    func run() async throws {
        let request = holder.seatRequest
        try await withConnection(server) { connection in
            let grant = try await connection.acquire(licenseKey: request.licenseKey, user: request.user, hostname: request.hostname, hardwareID: request.hardwareID, clientVersion: request.clientVersion)
            Output.print(server.json, [
                ("token", .string(grant.token.hex)),
                ("reattached", .bool(grant.reattached)),
                ("lease_expires_at", .time(grant.leaseExpiresAt)),
                ("heartbeat_interval_seconds", .number(Double(grant.heartbeatIntervalMilliseconds) / 1000)),
                ("seats_total", .number(Double(grant.seatsTotal))),
                ("seats_in_use", .number(Double(grant.seatsInUse))),
                // null from a server that speaks only protocol version 1.
                ("overage_seats", grant.overage.map { .number(Double($0.overageSeats)) } ?? .null),
                ("overage", grant.overage.map { .bool($0.isOverage) } ?? .null),
                ("tier", .string(grant.tier)),
                ("license_expires_at", grant.licenseExpiresAt.map { .time($0) } ?? .null),
                ("features", .object(grant.features)),
            ])
        }
    }
}

struct Heartbeat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Renew a session's lease.")

    @OptionGroup var server: ServerOptions
    @Argument(help: "Session token (32 hex digits).") var token: String

    func run() async throws {
        let token = try parseToken(token)
        try await withConnection(server) { connection in
            let accepted = try await connection.heartbeat(token)
            Output.print(server.json, [
                ("lease_expires_at", .time(accepted.leaseExpiresAt)),
                ("heartbeat_interval_seconds", .number(Double(accepted.heartbeatIntervalMilliseconds) / 1000)),
            ])
        }
    }
}

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a license without taking a seat.")

    @OptionGroup var server: ServerOptions
    @Option(help: "License key.") var license: String

    func run() async throws {
        try await withConnection(server) { connection in
            let result = try await connection.validate(licenseKey: license)
            Output.print(server.json, [
                ("status", .string("\(result.status)")),
                ("tier", .string(result.tier)),
                ("license_expires_at", result.licenseExpiresAt.map { .time($0) } ?? .null),
                ("seats_total", .number(Double(result.seatsTotal))),
                ("seats_in_use", .number(Double(result.seatsInUse))),
                ("overage_seats", result.overageSeats.map { .number(Double($0)) } ?? .null),
                ("features", .object(result.features)),
            ])
            if result.status != .valid { throw ExitStatus.licenseUnusable.exitCode }
        }
    }
}

func parseToken(_ text: String) throws -> SessionToken {
    guard let token = SessionToken(hex: text) else { throw ValidationError("a session token is 32 hex digits") }
    return token
}

/// What seatctl says when no server could be reached: a `ConnectionFailure` names its
/// server and the likely fix itself.
func unreachableMessage(_ servers: String, _ error: any Error) -> String {
    if let failure = error as? ConnectionFailure { return failure.description }
    return "cannot reach \(servers): \(error)"
}

/// Connects, runs `body` (one request) on the active server, closes; maps failures to a
/// message on stderr and a documented exit code. A standby's `notActive` leads to the
/// active node (protocol-spec.md 9b), so `body` may run again there: it must send its
/// request before it prints anything.
func withConnection(_ options: ServerOptions, _ body: (SeatConnection) async throws -> Void) async throws {
    var connected = false
    do {
        let (connection, _) = try await SeatConnection.connectToActive(options.clientConfiguration()) { connection in
            connected = true
            try await body(connection)
        }
        Task { await connection.close() }
    } catch let error as ValidationError {
        throw error
    } catch let reply as ErrorReply {
        // Authenticate refused the access key, the server refused the request, or every
        // server is a standby.
        throw reportRefusal(reply, json: options.json)
    } catch let exit as ExitCode {
        throw exit
    } catch where !connected {
        Output.error(options.json, code: "unreachable", message: unreachableMessage(options.servers, error), detail: [])
        throw ExitStatus.unreachable.exitCode
    } catch {
        Output.error(options.json, code: "failure", message: "\(error)", detail: [])
        throw ExitStatus.failure.exitCode
    }
}

/// Prints a server refusal (code, message and detail, e.g. the seat counts of `noSeats`)
/// on stderr and returns the documented exit code for it.
func reportRefusal(_ reply: ErrorReply, json: Bool) -> ExitCode {
    Output.error(json, code: reply.code.map { "\($0)" } ?? "code_\(reply.rawCode)", message: reply.message, detail: Output.fields(of: reply.detail))
    return ExitStatus(reply).exitCode
}
