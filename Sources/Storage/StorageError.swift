import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The map cannot grow further, or the disk is full (ENOSPC/EDQUOT): nothing of that batch was stored.
    case full(String)
    /// Any other LMDB or OS failure; nothing of that batch was stored.
    case io(code: Int32, String)
    /// A record that does not decode, or an unknown schema version at open.
    case corrupt(String)
    /// The store was closed.
    case closed
    /// Another node took over the shared store (`CommitReplicator`): nothing of that batch
    /// was stored, and this node must stop serving.
    case fenced(String)
    /// The shared log could not be reached or refused the batch: nothing of it was stored.
    case replication(String)

    public var description: String {
        switch self {
        case .full(let message): "storage full: \(message)"
        case .io(let code, let message): "storage I/O error \(code): \(message)"
        case .corrupt(let message): "storage corrupt: \(message)"
        case .closed: "storage closed"
        case .fenced(let message): "storage fenced: \(message)"
        case .replication(let message): "storage replication failed: \(message)"
        }
    }

    /// Maps an LMDB/errno return code. A full disk is `.full` so operators see one
    /// cause for "no more space", whether the map or the file system ran out.
    /// `MDB_MAP_FULL` stays `.io` here: the writer grows the map on it and only
    /// reports `.full` once the configured maximum is reached.
    init(lmdbCode code: Int32, _ operation: String) {
        let message = "\(operation): \(String(cString: mdb_strerror(code)))"
        switch code {
        case ENOSPC, EDQUOT: self = .full(message)
        default: self = .io(code: code, message)
        }
    }

    var isMapFull: Bool {
        if case .io(MDB_MAP_FULL, _) = self { return true }
        return false
    }

    /// LMDB reports a short write (as when the file system fills up mid-write) as EIO.
    var isInputOutputError: Bool {
        if case .io(EIO, _) = self { return true }
        return false
    }

    /// Raised by one change itself: a key or value LMDB refuses, or a stored record the
    /// change reads that does not decode. The same change fails in any batch, and the
    /// others can commit without it. Anything else (map or disk full, I/O, a damaged
    /// B-tree, out of memory) concerns the whole store.
    var isCausedByChange: Bool {
        switch self {
        case .corrupt: true
        case .io(let code, _): code == MDB_BAD_VALSIZE || code == EINVAL
        case .full, .closed, .fenced, .replication: false
        }
    }

    var isFull: Bool {
        if case .full = self { return true }
        return false
    }

    var isTransactionFull: Bool {
        if case .io(MDB_TXN_FULL, _) = self { return true }
        return false
    }
}
