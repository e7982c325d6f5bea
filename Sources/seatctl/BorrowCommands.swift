import ArgumentParser
import Foundation
import SeatClient
import SeatCore
import SeatLicensing

struct BorrowCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "borrow",
        abstract: "Borrow a seat for offline use, check its offline lease, return it early.",
        subcommands: [BorrowAcquire.self, BorrowReturn.self, BorrowShowLease.self, BorrowPublicKeyCommand.self]
    )
}

struct BorrowAcquire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acquire",
        abstract: "Borrow a seat and write its offline lease and token to a file (mode 0600).")

    @OptionGroup var server: ServerOptions
    @OptionGroup var holder: HolderOptions
    @Option(help: "Hours to borrow for; the server caps it at the site policy's maximum (default 168).") var hours: UInt32 = 168
    @Option(help: "Where to write the borrowed seat (the lease and the token that returns it).") var leaseFile: String

    func run() async throws {
        guard hours >= 1, hours <= UInt32.max / 60 else { throw ValidationError("--hours must be from 1 to \(UInt32.max / 60)") }
        let request = holder.seatRequest
        try await withConnection(server) { connection in
            let grant = try await connection.borrow(
                licenseKey: request.licenseKey, user: request.user, hostname: request.hostname, hardwareID: request.hardwareID,
                clientVersion: request.clientVersion, minutes: hours * 60)
            try BorrowedSeat(grant).write(to: leaseFile)
            let lease = try BorrowLease.decode(grant.lease).lease
            Output.print(server.json, [
                ("lease_file", .string(leaseFile)),
                ("lease_id", .string(BorrowLease.idText(lease.leaseID))),
                ("expires_at", .time(grant.expiresAt)),
                ("reattached", .bool(grant.reattached)),
                ("seats_total", .number(Double(grant.seatsTotal))),
                ("seats_in_use", .number(Double(grant.seatsInUse))),
            ])
        }
    }
}

struct BorrowReturn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "return",
        abstract: "Return a borrowed seat early (its seat frees at once) and delete the lease file.")

    @OptionGroup var server: ServerOptions
    @Argument(help: "The file seatctl borrow acquire wrote.") var leaseFile: String

    func run() async throws {
        let seat = try BorrowedSeat.read(from: leaseFile)
        try await withConnection(server) { connection in
            let result = try await connection.release(seat.token)
            // Returned (or already ended): the file is of no use any more.
            try FileManager.default.removeItem(atPath: leaseFile)
            Output.print(server.json, [
                ("returned", .bool(result.ended)),
                ("seats_total", .number(Double(result.seatsTotal))),
                ("seats_in_use", .number(Double(result.seatsInUse))),
            ])
        }
    }
}

struct BorrowShowLease: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show-lease",
        abstract: "Check a borrowed seat's offline lease without the server (exit 20 unless valid here now).")

    @Argument(help: "The file seatctl borrow acquire wrote.") var leaseFile: String
    @Option(help: "The server's borrow public key (a file as seatctl borrow public-key prints it).") var publicKeyFile: String
    @Option(help: "The hardware id to check against (default: this host's machine id).") var hardwareID: String = MachineIdentity.hardwareID()
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        let publicKey = try BorrowPublicKey.read(from: publicKeyFile)
        let seat = try BorrowedSeat.read(from: leaseFile)
        let verdict = seat.verify(trusting: publicKey, now: Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)), hardwareID: hardwareID)
        var fields: [(String, Output.Value)] = [("verdict", .string(verdict.name))]
        switch verdict {
        case .valid(let lease), .expired(let lease), .wrongMachine(let lease):
            fields += [
                ("lease_id", .string(BorrowLease.idText(lease.leaseID))), ("license", .string(lease.licenseKey)),
                ("tenant", .string(lease.tenant)), ("user", .string(lease.user)), ("hardware_id", .string(lease.hardwareID)),
                ("issued_at", .time(lease.issuedAt)), ("expires_at", .time(lease.expiresAt)),
            ]
        case .unreadable(let error):
            fields.append(("reason", .string(error.description)))
        case .badSignature:
            break
        }
        Output.print(json, fields)
        if !verdict.isValid { throw ExitStatus.offlineLeaseInvalid.exitCode }
    }
}

struct BorrowPublicKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "public-key",
        abstract: "Print the key clients trust for offline leases; save it next to the CA file (admin).")

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        try await withAdminClient(admin) { client in
            let response = try await client.perform(AdminBorrowPublicKeyQuery())
            print(admin.json ? response.json : response.reply.publicKey)
        }
    }
}

extension BorrowLeaseVerdict {
    /// As seatctl prints it.
    var name: String {
        switch self {
        case .valid: "valid"
        case .expired: "expired"
        case .wrongMachine: "wrong-machine"
        case .badSignature: "bad-signature"
        case .unreadable: "unreadable"
        }
    }
}
