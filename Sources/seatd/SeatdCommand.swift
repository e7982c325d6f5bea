import ArgumentParser
import Foundation
import Logging
import SeatBuildInfo
import SeatServer

@main
struct SeatdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seatd",
        abstract: "Floating-license seat server.",
        discussion: """
            Every setting has a default; a configuration file (--config) and -o key=value \
            overrides change them, in that order. --print-default-config lists every key.
            SIGHUP reloads the configuration, licenses and TLS files; SIGTERM shuts down gracefully.
            Exit status: 0 after a clean shutdown, 78 for an invalid configuration, 1 for any other failure.
            """,
        version: String(cString: seatd_build_version_line()),
        subcommands: [BackupCommand.self]
    )

    @OptionGroup var source: ConfigurationSource

    @Flag(help: "Print every configuration key with its default and exit.")
    var printDefaultConfig = false

    @Flag(help: "Check the configuration, the licenses file (signatures included) and the TLS files as start-up would, and exit (78 if anything is wrong).")
    var checkConfig = false

    func run() async throws {
        if printDefaultConfig {
            print(ConfigurationLoader.defaultConfigurationText())
            return
        }
        let settings: ServerConfiguration
        do {
            settings = try source.load()
        } catch {
            FileHandle.standardError.write(Data("seatd: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        if checkConfig {
            do {
                for line in try ConfigurationCheck.run(settings) { print(line) }
            } catch {
                FileHandle.standardError.write(Data("seatd: \(error)\n".utf8))
                throw ExitCode(78)
            }
            print("configuration ok")
            return
        }
        let level = LogLevelControl(Logger.Level(rawValue: settings.logLevel) ?? .info)
        LoggingSystem.bootstrap { label in LogfmtLogHandler(label: label, control: level) }
        let logger = Logger(label: "seatd")
        let source = self.source
        do {
            try await Daemon.run(configuration: settings, reloadConfiguration: { try source.load() }, logLevel: level, logger: logger)
        } catch {
            logger.critical("seatd stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
