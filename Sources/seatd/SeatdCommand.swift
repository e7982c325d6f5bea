import ArgumentParser
import Foundation
import Logging
import SeatServer

@main
struct SeatdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seatd",
        abstract: "Floating-license seat server.",
        discussion: """
            Every setting has a default; a configuration file (--config) and -o key=value \
            overrides change them, in that order. --print-default-config lists every key.
            Exit status: 0 after a clean shutdown, 78 for an invalid configuration, 1 for any other failure.
            """
    )

    @Option(name: [.short, .long], help: "Configuration file (key = value lines).")
    var config: String?

    @Option(name: [.customShort("o"), .customLong("set")], help: "Override one key, e.g. -o port=7420 (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Print every configuration key with its default and exit.")
    var printDefaultConfig = false

    @Flag(help: "Validate the configuration and exit.")
    var checkConfig = false

    func run() async throws {
        if printDefaultConfig {
            print(ConfigurationLoader.defaultConfigurationText())
            return
        }
        let settings: ServerConfiguration
        do {
            settings = try ConfigurationLoader.load(file: config, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("seatd: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        if checkConfig {
            print("configuration ok")
            return
        }
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in LogfmtLogHandler(label: label, level: level) }
        let logger = Logger(label: "seatd")
        do {
            try await Daemon.run(configuration: settings, logger: logger)
        } catch {
            logger.critical("seatd stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
