import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps room for ends. Ends (release, expiry, force-release) delete a session record and
/// add a small tombstone and audit event, so they need little space and LMDB reuses the
/// pages they free; but they need *some*, and a store or disk filled by grants would leave
/// none, freezing every seat. So writes that add data are refused early, at a high-water
/// mark, and the rest is kept for ends:
///
/// - the map: adding jobs are refused once the pages in use (every B-tree, the free list's
///   own pages; not pages free for reuse), plus room for the end of every live session,
///   reach `highWaterPercent` of the map maximum;
/// - the disk: a file of `diskReserveBytes` in the store directory holds disk space that
///   nothing else can take. Adding jobs are refused while the file system has less than
///   that free, or while the file is missing. When a commit runs out of disk (ENOSPC) the
///   file is deleted, so ends can use its space; it is created again, and adding jobs are
///   accepted again, once twice its size is free.
///
/// Writer-thread only: the writer checks before each batch and each adding job.
struct SpaceReserve {
    static let fileName = "space-reserve"

    let highWaterBytes: Int
    let diskReserveBytes: Int
    private let path: String
    private let logger: Logger
    private var filePresent = false
    /// Why adding jobs are refused now (nil: accepted), so the log says when that starts
    /// and ends instead of once per refused job.
    private var refusal: String?
    private(set) var refusedJobs = 0

    init(directory: String, maximumMapSizeBytes: Int, highWaterPercent: Int, diskReserveBytes: Int, logger: Logger) {
        highWaterBytes = Int((Double(maximumMapSizeBytes) * Double(min(max(highWaterPercent, 1), 100)) / 100).rounded(.down))
        self.diskReserveBytes = diskReserveBytes
        path = directory + "/" + Self.fileName
        self.logger = logger
        if diskReserveBytes > 0 {
            var info = stat()
            filePresent = stat(path, &info) == 0 && Int(info.st_size) >= diskReserveBytes && Int(info.st_blocks) * 512 >= diskReserveBytes
        } else {
            // A reserve switched off keeps no file taking space for nothing.
            unlink(path)
        }
    }

    var isRefusing: Bool { refusal != nil }

    /// Why the disk cannot take adding jobs now, or nil. Creates the reserve file when it is
    /// missing and there is room for it and for as much again.
    mutating func diskRefusal(availableBytes: Int?) -> String? {
        guard diskReserveBytes > 0, var available = availableBytes else { return nil }
        if !filePresent && available >= 2 * diskReserveBytes {
            filePresent = createFile()
            if filePresent {
                available -= diskReserveBytes
                logger.notice("storage disk reserve in place", metadata: ["path": "\(path)", "bytes": "\(diskReserveBytes)"])
            }
        }
        if !filePresent {
            return "disk space reserve not in place (needs \(2 * diskReserveBytes) bytes free, \(available) available)"
        }
        if available < diskReserveBytes {
            return "free disk space \(available) bytes is below the reserve of \(diskReserveBytes) bytes"
        }
        return nil
    }

    /// Map space one end may take: its tombstone, time index entry and audit event, in
    /// B-tree pages that may be only half full. Ends do not shrink the store (the session
    /// record they delete is smaller than what they add until retention purges it).
    static let bytesPerEnd = 512

    /// Why the map cannot take adding jobs now, or nil. Room for the end of every live
    /// session is kept below the mark, so that all of them can end even if none is purged.
    func mapRefusal(bytesInUse: Int, liveSessions: Int) -> String? {
        let keptForEnds = liveSessions * Self.bytesPerEnd
        guard bytesInUse + keptForEnds >= highWaterBytes else { return nil }
        return "\(bytesInUse) bytes in use and \(keptForEnds) kept for the ends of \(liveSessions) live sessions reached the high-water mark of \(highWaterBytes) bytes"
    }

    /// Deletes the reserve file so a batch of ends can use its space. Returns false when
    /// there was none to give.
    mutating func release() -> Bool {
        guard filePresent else { return false }
        filePresent = false
        unlink(path)
        logger.warning("storage disk full: released the disk space reserve so ends can be stored; new grants are refused until space is freed", metadata: [
            "path": "\(path)", "bytes": "\(diskReserveBytes)",
        ])
        return true
    }

    /// Notes the refusal state after a batch, logging when adding jobs start and stop being
    /// refused; `refused` jobs were refused in that batch.
    mutating func note(refusal reason: String?, refused: Int) {
        refusedJobs += refused
        if let reason, refusal == nil {
            logger.warning("storage high-water: grants and other adding writes refused with storageFull; releases and expiries still stored", metadata: ["reason": "\(reason)"])
        } else if reason == nil, let previous = refusal {
            logger.notice("storage below high-water: grants accepted again", metadata: ["was": "\(previous)", "refused": "\(refusedJobs)"])
        }
        refusal = reason
    }

    /// Allocates the file's blocks for real (not a sparse file: that would hold no space).
    /// Not synced: after a crash that lost the allocation, `init` sees the missing blocks
    /// and the file is made again.
    private func createFile() -> Bool {
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        let result = posix_fallocate(fd, 0, off_t(diskReserveBytes))
        close(fd)
        if result != 0 {
            unlink(path)
            logger.warning("storage disk reserve could not be created", metadata: ["path": "\(path)", "error": "\(String(cString: strerror(result)))"])
        }
        return result == 0
    }
}
