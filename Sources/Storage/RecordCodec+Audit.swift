import SeatCore

extension RecordCodec {
    // MARK: Audit key

    static let auditKeyCount = 16

    /// `audit` key: time (sign bit flipped, as in `ended_by_time`) then sequence, both
    /// big-endian, so keys sort by time, ties by sequence, and are unique.
    static func withAuditKey<T, E: Error>(_ cursor: AuditCursor, _ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let time = UInt64(bitPattern: cursor.time.millisecondsSinceEpoch) ^ (1 << 63)
        var key = (time.bigEndian, cursor.sequence.bigEndian)
        return try withUnsafeBytes(of: &key) { bytes throws(E) in try body(bytes) }
    }

    static func decodeAuditKey(_ key: UnsafeRawBufferPointer) throws(StorageError) -> AuditCursor {
        guard key.count == auditKeyCount else {
            throw .corrupt("audit key has \(key.count) bytes, expected \(auditKeyCount)")
        }
        let time = UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) ^ (1 << 63)
        return AuditCursor(
            time: Timestamp(millisecondsSinceEpoch: Int64(bitPattern: time)),
            sequence: UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }

    // MARK: Audit record

    /// Layout: version, kind code, then tenant, license, user, hostname, address, detail;
    /// version 2 (aggregated events only) then count, first seen, last seen. Single events
    /// stay version 1, byte for byte what earlier seatd versions wrote and read.
    /// Time and sequence are the key, so they are not repeated here.
    static let auditRecordVersion: UInt8 = 1
    static let aggregatedAuditRecordVersion: UInt8 = 2

    static func encodeAuditRecord(_ event: AuditEvent) -> [UInt8] {
        var writer = RecordWriter(capacity: 32 + event.tenant.utf8.count + event.licenseKey.utf8.count + event.user.utf8.count
            + event.hostname.utf8.count + event.address.utf8.count + event.detail.utf8.count)
        writer.append(event.aggregate == nil ? auditRecordVersion : aggregatedAuditRecordVersion)
        writer.append(auditKindCode(event.kind))
        writer.append(event.tenant)
        writer.append(event.licenseKey)
        writer.append(event.user)
        writer.append(event.hostname)
        writer.append(event.address)
        writer.append(event.detail)
        if let aggregate = event.aggregate {
            writer.append(Int64(bitPattern: aggregate.count))
            writer.append(aggregate.firstSeen.millisecondsSinceEpoch)
            writer.append(aggregate.lastSeen.millisecondsSinceEpoch)
        }
        return writer.bytes
    }

    static func decodeAuditEvent(key: AuditCursor, _ bytes: UnsafeRawBufferPointer) throws(StorageError) -> AuditEvent {
        var reader = RecordReader(bytes, record: "audit")
        let version = try reader.uint8()
        guard version == auditRecordVersion || version == aggregatedAuditRecordVersion else {
            throw reader.corrupt("unknown record version \(version)")
        }
        let code = try reader.uint8()
        guard let kind = auditKind(code) else { throw reader.corrupt("unknown audit kind \(code)") }
        var event = AuditEvent(
            sequence: key.sequence,
            time: key.time,
            kind: kind,
            tenant: try reader.string(),
            licenseKey: try reader.string(),
            user: try reader.string(),
            hostname: try reader.string(),
            address: try reader.string(),
            detail: try reader.string())
        if version == aggregatedAuditRecordVersion {
            event.aggregate = AuditAggregate(
                count: UInt64(bitPattern: try reader.int64()),
                firstSeen: Timestamp(millisecondsSinceEpoch: try reader.int64()),
                lastSeen: Timestamp(millisecondsSinceEpoch: try reader.int64()))
        }
        try reader.expectEnd()
        return event
    }

    /// The kind of a stored record, from its header alone; nil if it has none.
    static func auditKind(ofRecord bytes: UnsafeRawBufferPointer) -> AuditKind? {
        guard bytes.count >= 2, bytes[0] == auditRecordVersion || bytes[0] == aggregatedAuditRecordVersion else { return nil }
        return auditKind(bytes[1])
    }

    // Codes, not the raw strings: one byte per record instead of up to fourteen. They are
    // on disk, so a code is never reused.
    private static func auditKindCode(_ kind: AuditKind) -> UInt8 {
        switch kind {
        case .grant: 1
        case .refusal: 2
        case .release: 3
        case .expiry: 4
        case .forceRelease: 5
        case .authFailure: 6
        case .admin: 7
        }
    }

    private static func auditKind(_ code: UInt8) -> AuditKind? {
        switch code {
        case 1: .grant
        case 2: .refusal
        case 3: .release
        case 4: .expiry
        case 5: .forceRelease
        case 6: .authFailure
        case 7: .admin
        default: nil
        }
    }
}

extension RecordCodec {
    // MARK: Sequences (meta)

    static let auditSequenceKey = Array("audit_sequence".utf8)
    /// The last replication batch this store holds (`SeatStore.appliedSequence`).
    static let replicationSequenceKey = Array("replication_sequence".utf8)

    /// A sequence kept in `meta`: 8 bytes, big-endian.
    static func encodeSequence(_ sequence: UInt64) -> [UInt8] {
        var writer = RecordWriter(capacity: 8)
        writer.append(Int64(bitPattern: sequence))
        return writer.bytes
    }

    static func decodeSequence(_ bytes: UnsafeRawBufferPointer) throws(StorageError) -> UInt64 {
        var reader = RecordReader(bytes, record: "sequence")
        let sequence = UInt64(bitPattern: try reader.int64())
        try reader.expectEnd()
        return sequence
    }
}
