import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the licenses file on SIGHUP. A file that does not parse is rejected with a
/// log line and the licenses in force stay as they are.
final class LicenseReloader: Service {
    private let licensesFile: String
    private let service: SeatService
    private let logger: Logger

    init(licensesFile: String, service: SeatService, logger: Logger) {
        self.licensesFile = licensesFile
        self.service = service
        self.logger = logger
    }

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading licenses", metadata: ["file": "\(licensesFile)"])
            guard !licensesFile.isEmpty else {
                logger.notice("no licenses_file configured; nothing to reload")
                continue
            }
            do {
                try await service.applyLicenses(LicenseFile.load(path: licensesFile))
            } catch {
                logger.error("reload rejected; the licenses in force are unchanged", metadata: ["error": "\(error)"])
            }
        }
    }
}
