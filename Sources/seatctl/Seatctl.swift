import ArgumentParser
import SeatBuildInfo

@main
struct Seatctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seatctl",
        abstract: "Talk to a seatd license server.",
        discussion: """
            Exit status: \(ExitStatus.documentation)
            """,
        version: String(cString: seatd_build_version_line()),
        subcommands: [
            Acquire.self, Heartbeat.self, Release.self, Validate.self, Run.self,
            Status.self, Sessions.self, Queue.self, BorrowCommands.self, LicenseCommands.self, PolicyCommands.self, Tenant.self, Key.self, Audit.self, Report.self,
            Reload.self, Shutdown.self,
        ]
    )
}
