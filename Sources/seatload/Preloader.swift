import Foundation
import SeatLoadKit

/// Creates live sessions through the protocol: `connections` clients acquire their share of
/// `keys` one after another. Every acquire must be granted.
enum Preloader {
    static func run(server: ServerOptions, keys: [AcquireKey], connections: Int, threads: Int, quiet: Bool) async throws {
        let count = max(1, min(connections, keys.count))
        var shares = Array(repeating: [AcquireKey](), count: count)
        for (index, key) in keys.enumerated() { shares[index % count].append(key) }
        let target = server.target
        let runner = try LoadRunner(target: target, threads: threads)
        let frozen = shares
        let (channels, failed, _) = try await runner.connect(count: count) { .preload(frozen[$0]) }
        guard failed == 0 else {
            await runner.close(channels)
            await runner.shutdown()
            throw LoadError.connect("preload: \(failed) connections failed")
        }
        let (recorder, seconds) = try await runner.runToCompletion(timeoutSeconds: 600)
        await runner.close(channels)
        await runner.shutdown()
        let granted = recorder.created + recorder.existing
        if !quiet {
            FileHandle.standardError.write(Data(String(format: "seatload: preloaded %d sessions (%d new) in %.2f s (%.0f/s), errors %d\n",
                                                       granted, recorder.created, seconds, Double(granted) / max(seconds, 0.001), recorder.errorCount).utf8))
        }
        guard granted == keys.count, recorder.errorCount == 0 else {
            throw LoadError.connect("preload incomplete: \(granted) of \(keys.count) granted; \(recorder.firstError ?? "")")
        }
    }
}
