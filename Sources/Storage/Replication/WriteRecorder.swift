import CLMDB

/// The writes of one attempt at a write transaction, in order, as LMDB applied them:
/// what the replicator gets. A transaction carries one only while the store replicates
/// (`LMDBTransaction.recorder`), and each attempt gets a fresh one, so the writes of an
/// aborted attempt (a job refused and retried, a map grown) never reach a batch.
/// Writer-thread only.
final class WriteRecorder {
    private var writes: [(dbi: MDB_dbi, key: [UInt8], value: [UInt8]?)] = []
    /// Set once the replicator holds this attempt's batch: the local commit must not be
    /// retried (the batch would be sent twice, or with other writes under its sequence).
    var replicatedSequence: UInt64?

    var isEmpty: Bool { writes.isEmpty }

    func recordPut(_ dbi: MDB_dbi, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        writes.append((dbi, Array(key), Array(value)))
    }

    func recordDelete(_ dbi: MDB_dbi, _ key: UnsafeRawBufferPointer) {
        writes.append((dbi, Array(key), nil))
    }

    /// The recorded writes, each naming its database.
    func batch(sequence: UInt64, _ databases: ReplicatedDatabases) throws(StorageError) -> ReplicationBatch {
        var named: [ReplicatedWrite] = []
        named.reserveCapacity(writes.count)
        for write in writes {
            guard let name = databases.name(of: write.dbi) else {
                throw .replication("a write to database handle \(write.dbi), which has no replicated name")
            }
            named.append(ReplicatedWrite(database: name, key: write.key, value: write.value))
        }
        return ReplicationBatch(sequence: sequence, writes: named)
    }
}
