import ArgumentParser
import SeatServer

/// Where the configuration comes from: a file and -o overrides. The daemon keeps this
/// to read the same sources again on SIGHUP.
struct ConfigurationSource: ParsableArguments, Sendable {
    @Option(name: [.short, .long], help: "Configuration file (key = value lines).")
    var config: String?

    @Option(name: [.customShort("o"), .customLong("set")], help: "Override one key, e.g. -o port=7420 (repeatable).")
    var overrides: [String] = []

    func load() throws(ConfigurationError) -> ServerConfiguration {
        try ConfigurationLoader.load(file: config, overrides: overrides)
    }
}
