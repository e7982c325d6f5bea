import ArgumentParser
import Foundation
import Logging
import SeatServer

/// `seatd backup`: copies the store of a running (or stopped) seatd. See docs/operations.md
/// for the restore procedure.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the seat store while seatd keeps serving.",
        discussion: """
            Reads state_directory from the same configuration the daemon uses. The copy is \
            <DIR>/data.mdb (compacted); restore by stopping seatd and putting it in \
            <state_directory>/data/. Exit status: 0 done, 78 invalid configuration, 1 failure.
            """
    )

    @OptionGroup var source: ConfigurationSource

    @Option(name: .long, help: "Directory to write data.mdb into (created if missing; must not hold a data.mdb).")
    var to: String

    func run() throws {
        let settings: ServerConfiguration
        do {
            settings = try source.load()
        } catch {
            FileHandle.standardError.write(Data("seatd backup: \(error)\n".utf8))
            throw ExitCode(78)
        }
        var logger = Logger(label: "seatd-backup") { LogfmtLogHandler(label: $0, level: .warning) }
        logger.logLevel = .warning
        do {
            print(try StorageBackup.run(configuration: settings, to: to, logger: logger))
        } catch {
            FileHandle.standardError.write(Data("seatd backup: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
