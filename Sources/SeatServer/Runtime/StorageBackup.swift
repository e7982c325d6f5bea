import Foundation
import Logging
import SeatStorage

/// `seatd backup`: a consistent copy of a store, taken while the daemon keeps serving.
///
/// LMDB lets several processes open one environment; the copy (mdb_env_copy2, compacted)
/// reads one snapshot, so it holds exactly the transactions committed before it began —
/// every acknowledged acquire and release up to that moment.
public enum StorageBackup {
    public struct Summary: Sendable, CustomStringConvertible {
        public var directory: String
        public var licenses: Int
        public var liveSessions: Int
        public var bytes: Int

        public var description: String {
            "backup written to \(directory)/data.mdb: \(licenses) licenses, \(liveSessions) live sessions, \(bytes) bytes"
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case noStore(String)
        case targetNotEmpty(String)
        case cannotProtect(String, String)

        public var description: String {
            switch self {
            case .noStore(let path): "no seatd store at \(path) (check state_directory)"
            case .targetNotEmpty(let path): "\(path) already holds a data.mdb; choose a new directory"
            case .cannotProtect(let path, let reason): "cannot make the backup in \(path) private (mode 0700/0600): \(reason)"
            }
        }
    }

    public static func run(configuration: ServerConfiguration, to directory: String, logger: Logger) throws -> Summary {
        let source = configuration.storageDirectory
        // SeatStore would create an empty store; a backup of nothing is a mistake, not a backup.
        guard FileManager.default.fileExists(atPath: source + "/data.mdb") else { throw Failure.noStore(source) }
        guard !FileManager.default.fileExists(atPath: directory + "/data.mdb") else { throw Failure.targetNotEmpty(directory) }

        let store = try SeatStore(options: configuration.storageOptions, logger: logger)
        do {
            try store.backup(toDirectory: directory)
        } catch {
            store.close()
            throw error
        }
        store.close()
        // The copy holds session tokens and access-key digests: owner only, like the store.
        guard chmod(directory, 0o700) == 0, chmod(directory + "/data.mdb", 0o600) == 0 else {
            throw Failure.cannotProtect(directory, String(cString: strerror(errno)))
        }

        // Prove the copy opens and count what it holds.
        var options = configuration.storageOptions
        options.directory = directory
        let copy = try SeatStore(options: options, logger: logger)
        defer {
            copy.close()
            // The lock file is recreated by whoever opens the copy next.
            try? FileManager.default.removeItem(atPath: directory + "/lock.mdb")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/data.mdb")[.size] as? Int) ?? 0
        return Summary(directory: directory, licenses: try copy.loadLicenses().count, liveSessions: try copy.loadLiveSessions().count, bytes: size)
    }
}
