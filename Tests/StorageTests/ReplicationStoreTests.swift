import CLMDB
import Foundation
import SeatCore
import Testing
@testable import SeatStorage

/// The store as one node's copy of a replicated state: the active node's batches go to
/// the log before they commit, a standby applies them verbatim.
@Suite struct ReplicationStoreTests {
    @Test func aReplicaApplyingEveryBatchHoldsWhatThePrimaryHolds() async throws {
        try await withTemporaryDirectory { directory in try await withReplicatedStores(directory) { primary, replica, log in
            try await ReplicationWorkload.run(primary)

            let sequences = log.sequences
            #expect(!sequences.isEmpty)
            #expect(sequences == Array(1...UInt64(sequences.count)), "numbered without gaps")
            #expect(primary.appliedSequence == UInt64(sequences.count))
            #expect(replica.appliedSequence == primary.appliedSequence)
            let contents = try StoreContents(primary)
            #expect(contents.audit.count > 3 && contents.usageHours.count > 1 && contents.tombstones.contains { $0 != nil })
            #expect(try StoreContents(replica) == contents)
            #expect(try replica.replicationSnapshot() == primary.replicationSnapshot())
            // The applied sequence describes each copy; it is never part of a batch.
            #expect(!log.batches.withLock { $0 }.flatMap(\.writes).contains { $0.key == RecordCodec.replicationSequenceKey })
        } }
    }

    /// A replica that takes over continues the audit sequence where the primary left it.
    @Test func aReplicaReloadsTheAuditKeysItApplied() async throws {
        try await withTemporaryDirectory { directory in try await withReplicatedStores(directory) { primary, replica, _ in
            try await ReplicationWorkload.run(primary)
            let last = try #require(try primary.auditEvents(AuditQuery(limit: 10_000)).events.last)

            try await replica.commit([.appendAudit(AuditEvent(time: last.time, kind: .admin, detail: "took over"))])
            let events = try replica.auditEvents(AuditQuery(limit: 10_000)).events
            #expect(try events.dropLast() == primary.auditEvents(AuditQuery(limit: 10_000)).events[...])
            #expect(events.last?.sequence == last.sequence + 1)
        } }
    }

    /// One batch of several callers is one replicated batch, their writes in FIFO order;
    /// a refused caller's writes are not in it.
    @Test func aGroupCommitIsOneBatchWithoutItsRefusedJobs() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let log = ReplicaLog()
            try store.startReplicating(to: log)
            let gate = await WriterGate.hold(store)
            let results = await commitInOneBatch(store, [
                [.putLicense(license("A"))], [.putLicense(license(overlongKey))], [.putLicense(license("B"))],
            ], gate: gate)
            #expect(results.map { (try? $0.get()) != nil } == [true, false, true])
            let batches = log.batches.withLock { $0 }
            #expect(batches.map(\.sequence) == [1])
            #expect(batches.first?.writes.map(\.database) == ["licenses", "licenses"])
            #expect(batches.first?.writes.map(\.key) == [Array("A".utf8), Array("B".utf8)])
            #expect(batches.first?.writes.map(\.value) == [RecordCodec.encode(license("A")), RecordCodec.encode(license("B"))])
            // A batch that writes nothing is no batch of the log.
            #expect(try await store.purgeEndedSessions(endedBefore: .init(millisecondsSinceEpoch: .max), limit: 10) == 0)
            try await store.commit([.refreshLease(token: token(1), lastHeartbeatAt: .init(millisecondsSinceEpoch: 1), leaseExpiresAt: .init(millisecondsSinceEpoch: 2))])
            #expect(log.calls.withLock { $0 } == 1)
            #expect(store.appliedSequence == 1)
        }
    }

    /// An attempt aborted because the map had to grow leaves nothing in the batch: only
    /// the attempt that commits is sent, once; the replica grows its map the same way.
    @Test func aBatchThatGrowsTheMapIsSentOnceWithTheWritesOfOneAttempt() async throws {
        try await withTemporaryDirectory { directory in try await withReplicatedStores(directory, initialMapSizeBytes: 1 << 16) { primary, replica, log in
            let mapBefore = primary.statistics.mapSizeBytes
            try await primary.commit((0..<600).map { .putLicense(license(String(format: "LIC-%04d", $0))) })
            #expect(primary.statistics.mapSizeBytes > mapBefore)
            #expect(replica.statistics.mapSizeBytes > mapBefore)
            #expect(log.calls.withLock { $0 } == 1)
            #expect(log.batches.withLock { $0 }.first?.writes.count == 600)
            #expect(try replica.loadLicenses() == primary.loadLicenses())
        } }
    }

    @Test func aFencedBatchFailsItsCallersStoresNothingAndDeposesTheNode() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try await store.commit([.putLicense(license("BEFORE"))])
            let log = ReplicaLog()
            log.failure.withLock { $0 = .fenced("epoch 7 is newer") }
            try store.startReplicating(to: log)

            let gate = await WriterGate.hold(store)
            let results = await commitInOneBatch(store, [[.putLicense(license("A"))], [.putSession(session(1))]], gate: gate)
            for result in results {
                #expect(throws: StorageError.fenced("epoch 7 is newer")) { try result.get() }
            }
            #expect(log.calls.withLock { $0 } == 1)
            #expect(try store.loadLicenses().map(\.key) == ["BEFORE"])
            #expect(try store.loadLiveSessions().isEmpty)
            #expect(store.appliedSequence == 0)

            // Deposed: every later write fails at once, without asking the log again.
            log.failure.withLock { $0 = nil }
            await #expect(throws: StorageError.fenced("epoch 7 is newer")) { try await store.commit([.putLicense(license("B"))]) }
            await #expect(throws: StorageError.fenced("epoch 7 is newer")) {
                try await store.purgeEndedSessions(endedBefore: .init(millisecondsSinceEpoch: 0), limit: 1)
            }
            store.commitLazily([.putLicense(license("C"))])
            await #expect(throws: StorageError.fenced("epoch 7 is newer")) { try await store.flush() }
            #expect(log.calls.withLock { $0 } == 1)
            #expect(try store.loadLicenses().map(\.key) == ["BEFORE"])
        }
    }

    /// A log that cannot be reached fails the batch alone, with no gap in the sequence;
    /// any error but `.fenced` is reported as `.replication`.
    @Test func anUnreachableLogFailsTheBatchAndTheNextOneTakesItsSequence() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let log = ReplicaLog()
            try store.startReplicating(to: log)
            log.failure.withLock { $0 = .replication("timed out") }
            await #expect(throws: StorageError.replication("timed out")) { try await store.commit([.putLicense(license("A"))]) }
            log.failure.withLock { $0 = .full("the log's disk") }
            await #expect(throws: StorageError.replication("storage full: the log's disk")) { try await store.commit([.putLicense(license("A"))]) }
            #expect(log.calls.withLock { $0 } == 2, "neither retried nor split")
            log.failure.withLock { $0 = nil }
            try await store.commit([.putLicense(license("B"))])
            #expect(try store.loadLicenses().map(\.key) == ["B"])
            #expect(log.sequences == [1])
            #expect(store.appliedSequence == 1)
        }
    }

    @Test func batchesOutOfSequenceAreRefusedWhole() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            func batch(_ sequence: UInt64, _ key: String) -> ReplicationBatch {
                ReplicationBatch(sequence: sequence, writes: [
                    ReplicatedWrite(database: "licenses", key: Array(key.utf8), value: RecordCodec.encode(license(key))),
                ])
            }
            await #expect(throws: StorageError.replication("batch 2 does not follow the applied sequence 0; nothing applied")) {
                try await store.applyReplicated([batch(2, "B")])
            }
            await #expect(throws: StorageError.self) { try await store.applyReplicated([batch(1, "A"), batch(3, "C")]) }
            #expect(try store.loadLicenses().isEmpty)
            #expect(store.appliedSequence == 0)

            try await store.applyReplicated([batch(1, "A"), batch(2, "B")])
            await #expect(throws: StorageError.self) { try await store.applyReplicated([batch(2, "B")]) }
            await #expect(throws: StorageError.self) { try await store.applyReplicated([batch(1, "A")]) }
            #expect(try store.loadLicenses().map(\.key) == ["A", "B"])
            #expect(store.appliedSequence == 2)
        }
    }

    @Test func writesBatchesNeverHoldAreRefusedWhole() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let good = ReplicatedWrite(database: "licenses", key: Array("A".utf8), value: RecordCodec.encode(license("A")))
            for bad in [
                ReplicatedWrite(database: "no_such_database", key: [1], value: [1]),
                ReplicatedWrite(database: "meta", key: Array("schema_version".utf8), value: [0, 0, 0, 9]),
                ReplicatedWrite(database: "meta", key: RecordCodec.replicationSequenceKey, value: RecordCodec.encodeSequence(99)),
            ] {
                await #expect(throws: StorageError.self) {
                    try await store.applyReplicated([ReplicationBatch(sequence: 1, writes: [good, bad])])
                }
            }
            #expect(try store.loadLicenses().isEmpty)
            #expect(store.appliedSequence == 0)
            // A deletion of an absent key is no error.
            try await store.applyReplicated([ReplicationBatch(sequence: 1, writes: [
                ReplicatedWrite(database: "sessions", key: Array(repeating: 1, count: 16), value: nil), good,
            ])])
            #expect(try store.loadLicenses().map(\.key) == ["A"])
        }
    }

    /// Without a replicator nothing is numbered or recorded: commits are as they were.
    @Test func aStoreThatDoesNotReplicateNumbersNothing() async throws {
        try await withTemporaryDirectory { directory in
            var store = try openStore(directory)
            try await ReplicationWorkload.run(store)
            #expect(store.appliedSequence == 0)
            store.close()
            store = try openStore(directory)
            defer { store.close() }
            #expect(store.appliedSequence == 0)
            #expect(try store.replicationSnapshot().sequence == 0)
        }
    }

    @Test func anActiveNodeAppliesNoBatchesAndStartsOnce() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            try store.startReplicating(to: ReplicaLog())
            #expect(throws: StorageError.self) { try store.startReplicating(to: ReplicaLog()) }
            await #expect(throws: StorageError.self) { try await store.applyReplicated([ReplicationBatch(sequence: 1, writes: [])]) }
            await #expect(throws: StorageError.self) { try await store.restore(snapshot: ReplicationBatch(sequence: 1, writes: [])) }
            #expect(store.appliedSequence == 0)
        }
    }

    /// A node that joins after the log was trimmed: a snapshot of the primary, then the
    /// log from the snapshot's sequence on.
    @Test func aRestoredSnapshotThenTheLogReproducesTheStore() async throws {
        try await withTemporaryDirectory { directory in
            let primary = try openStore(directory + "/primary")
            defer { primary.close() }
            let log = ReplicaLog()
            try primary.startReplicating(to: log)
            try await primary.commit([.putLicense(license("LIC-1")), .putSession(session(99))])
            let snapshot = try primary.replicationSnapshot()
            #expect(snapshot.sequence == 1)
            try await ReplicationWorkload.run(primary)

            let joining = try openStore(directory + "/joining")
            defer { joining.close() }
            // What it held before is replaced, not merged.
            try await joining.commit([.putLicense(license("STALE")), .putSession(session(98)),
                                      .appendAudit(AuditEvent(time: .init(millisecondsSinceEpoch: 5), kind: .admin))])
            try await joining.restore(snapshot: ReplicationBatch(decoding: snapshot.encoded()))
            #expect(joining.appliedSequence == 1)
            #expect(try joining.loadLicenses().map(\.key) == ["LIC-1"])
            #expect(try joining.loadLiveSessions().map(\.token) == [token(99)])
            #expect(try joining.auditEvents(AuditQuery()).events.isEmpty)
            #expect(try joining.replicationSnapshot() == snapshot)

            try await joining.applyReplicated(log.batches.withLock { Array($0.dropFirst()) })
            #expect(joining.appliedSequence == primary.appliedSequence)
            #expect(try StoreContents(joining) == StoreContents(primary))
            #expect(try joining.replicationSnapshot() == primary.replicationSnapshot())
        }
    }

    @Test func theAppliedSequenceSurvivesReopening() async throws {
        try await withTemporaryDirectory { directory in
            var primary = try openStore(directory + "/primary")
            var replica = try openStore(directory + "/replica")
            #expect(primary.appliedSequence == 0)
            try primary.startReplicating(to: ReplicaLog(replica: replica))
            try await primary.commit([.putLicense(license("A"))])
            try await primary.commit([.putLicense(license("B"))])
            primary.close()
            replica.close()

            primary = try openStore(directory + "/primary")
            defer { primary.close() }
            replica = try openStore(directory + "/replica")
            defer { replica.close() }
            #expect(primary.appliedSequence == 2)
            #expect(replica.appliedSequence == 2)
            // The reopened primary goes on from its stored sequence.
            let log = ReplicaLog(replica: replica)
            try primary.startReplicating(to: log)
            try await primary.commit([.putLicense(license("C"))])
            #expect(log.sequences == [3])
            #expect(try replica.loadLicenses().map(\.key) == ["A", "B", "C"])
        }
    }

    /// Every database the writer writes goes by a name a replica resolves to the same
    /// database, and no two share one.
    @Test func everyDatabaseIsNamedBothWays() async throws {
        try await withTemporaryDirectory { directory in
            let store = try openStore(directory)
            defer { store.close() }
            let replicated = store.writer.replicated
            let dbis = store.databases.all.filter { $0 > 1 }
            let names = dbis.compactMap(replicated.name(of:))
            #expect(names.count == dbis.count)
            #expect(Set(names).count == names.count)
            for dbi in dbis {
                #expect(replicated.name(of: dbi).flatMap(replicated.dbi(named:)) == dbi)
            }
            #expect(replicated.whole.count == dbis.count - 1, "all but meta, whole")
        }
    }
}
