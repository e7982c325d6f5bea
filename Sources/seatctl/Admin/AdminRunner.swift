import ArgumentParser
import Foundation
import NIOCore
import SeatClient
import SeatProtocol

/// Connects to the admin channel, runs `body`, closes; maps failures to a message on
/// stderr and a documented exit code (ExitStatus).
func withAdminClient(_ options: AdminOptions, _ body: (SeatAdminClient) async throws -> Void) async throws {
    let client = try await connectAdminClient(options)
    defer { Task { await client.close() } }
    do {
        try await body(client)
    } catch let reply as ErrorReply {
        throw reportRefusal(reply, json: options.json)
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ValidationError {
        throw error
    } catch {
        Output.error(options.json, code: "failure", message: "\(error)", detail: [])
        throw ExitStatus.failure.exitCode
    }
}

/// Connects to the admin channel; a failure is told on stderr and thrown as its exit code.
func connectAdminClient(_ options: AdminOptions) async throws -> SeatAdminClient {
    do {
        return try await options.connect()
    } catch let error as ValidationError {
        throw error
    } catch let reply as ErrorReply {
        // Authenticate refused the access key.
        throw reportRefusal(reply, json: options.json)
    } catch {
        throw reportUnreachable(options, error)
    }
}

/// A connection failure, worded for what the administrator can do about it.
private func reportUnreachable(_ options: AdminOptions, _ error: any Error) -> ExitCode {
    switch options.channel {
    case .socket(let path):
        let errno = (error as? IOError)?.errnoCode
        if errno == EACCES || errno == EPERM {
            Output.error(options.json, code: "not_authorized", message: "permission denied on the admin socket \(path): run as seatd's user or a member of its admin group (admin_socket_group)", detail: [])
            return ExitStatus.notAuthorized.exitCode
        }
        let hint = FileManager.default.fileExists(atPath: path) ? "" : " (no such file: is seatd running? see --admin-socket, or use --server with an admin --access-key)"
        Output.error(options.json, code: "unreachable", message: "cannot reach the admin socket \(path): \(error)\(hint)", detail: [])
    case .tls(let servers):
        Output.error(options.json, code: "unreachable", message: unreachableMessage(servers, error), detail: [])
    }
    return ExitStatus.unreachable.exitCode
}
