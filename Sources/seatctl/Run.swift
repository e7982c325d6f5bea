import ArgumentParser
import Foundation
import SeatClient
import SeatProtocol

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command while holding a seat.",
        discussion: """
            Acquires a seat, runs the command with stdin, stdout and stderr inherited while the \
            seat is kept (heartbeats, reconnects and re-attaches in the background), releases the \
            seat when the command exits, and exits with the command's status (128+N if a signal N \
            killed it; 127 or 126 if it could not be started). SIGINT, SIGTERM and SIGHUP sent to \
            seatctl are forwarded to the command. With no free seat: exit status 3, unless \
            --wait allows waiting for one.
            """
    )

    @OptionGroup var server: ServerOptions
    @OptionGroup var holder: HolderOptions
    @Option(help: ArgumentHelp("Wait up to this many seconds for a free seat, retrying with backoff.", valueName: "seconds"))
    var wait: Double = 0
    @Flag(help: "Terminate the command (SIGTERM, then SIGKILL after --grace) if the seat is lost while it runs.")
    var stopOnLoss = false
    @Option(help: ArgumentHelp("Seconds between SIGTERM and SIGKILL with --stop-on-loss.", valueName: "seconds"))
    var grace: Double = 10
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command to run after --, e.g. seatctl run --license KEY -- ./app") }
        guard wait >= 0, grace >= 0 else { throw ValidationError("--wait and --grace take seconds, zero or more") }
    }

    func run() async throws {
        let options = LeaseOptions(onSessionLoss: stopOnLoss ? .stop : .reacquire, waitForSeat: .milliseconds(Int64(wait * 1000)))
        let lease: SeatLease
        do {
            lease = try await SeatLease.acquire(holder.seatRequest, configuration: server.clientConfiguration(), options: options) { [json = server.json] place in
                if !json { Output.note("waiting for a seat: position \(place.position) of \(place.waiting) in the queue (\(place.seatsInUse) of \(place.seatsTotal) seats in use)") }
            }
        } catch let reply as ErrorReply {
            let exit = reportRefusal(reply, json: server.json)
            let worthWaiting: Bool
            if case .policyDenied(let reason, _, _, _, _) = reply.detail { worthWaiting = reason.isWorthWaiting } else { worthWaiting = reply.code == .noSeats }
            if worthWaiting, !server.json {
                Output.note(wait > 0 ? "no seat became free within \(Self.seconds(wait))" : "use --wait SECONDS to wait for a seat")
            }
            throw exit
        } catch let error as ValidationError {
            throw error
        } catch {
            Output.error(server.json, code: "unreachable", message: unreachableMessage(server.servers, error), detail: [])
            throw ExitStatus.unreachable.exitCode
        }

        // Installed before the spawn so that a signal arriving in between is not lost
        // (it would otherwise kill seatctl and leave the seat to expire).
        let forwarder = SignalForwarder.install()
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(command, resettingSignals: SignalForwarder.forwardedSignals + [SIGPIPE, SIGQUIT])
        } catch {
            Output.note("\(error)")
            _ = try? await lease.release()
            throw ExitCode(error.shellStatus)
        }
        forwarder?.forward(to: child)
        let stopOnLoss = stopOnLoss
        let grace = Duration.milliseconds(Int64(grace * 1000))
        let watcher = Task { await Self.watch(lease, child: child, stopOnLoss: stopOnLoss, grace: grace) }

        let exit = await child.waitForExit()
        watcher.cancel()
        do {
            try await lease.release()
        } catch {
            Output.note("warning: could not release the seat (it expires on the server when its lease runs out): \(error)")
        }
        throw ExitCode(exit.shellStatus)
    }

    /// Reports what happens to the seat while the command runs; with --stop-on-loss,
    /// terminates the command once the seat is gone for good.
    private static func watch(_ lease: SeatLease, child: ChildProcess, stopOnLoss: Bool, grace: Duration) async {
        for await state in lease.states {
            switch state {
            case .held, .released, .cancelled:
                break
            case .reconnecting(let interruption):
                // One line per interruption, not per attempt.
                if interruption.attempt == 1 {
                    let until = interruption.lastConfirmedExpiry.map { "; the seat is held until at least \(Output.iso8601($0))" } ?? ""
                    Output.note("warning: lost contact with the seat server (\(interruption.cause)); reconnecting\(until)")
                }
            case .regained(_, .sameSession):
                Output.note("contact with the seat server restored; the seat is still held")
            case .regained(_, .newSession):
                Output.note("a new seat was acquired")
            case .waitingForSeat(let shortage):
                Output.note("warning: no seat free to replace the lost one (\(shortage.seatsInUse) of \(shortage.seatsTotal) in use); retrying")
            case .lost(let loss), .revoked(let loss):
                if loss.willReacquire {
                    Output.note("warning: the seat was lost (\(loss.reply.message)); acquiring a new one")
                } else if stopOnLoss {
                    Output.note("warning: the seat was lost (\(loss.reply.message)); stopping the command")
                    await child.terminate(grace: grace)
                } else {
                    Output.note("warning: the seat was lost (\(loss.reply.message)); the command keeps running without a seat")
                }
            }
        }
    }

    private static func seconds(_ value: Double) -> String {
        value.rounded() == value ? "\(Int(value)) s" : "\(value) s"
    }
}
