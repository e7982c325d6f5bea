/// The bytes of a batch in the shared log (one row per batch). Pure, like `RecordCodec`.
///
/// Version 1: the version byte; the sequence (8 bytes, big-endian); the number of writes
/// (unsigned LEB128); then each write: the database name (LEB128 length, UTF-8), the key
/// (LEB128 length, bytes), and 0 for a deletion or 1 followed by the value (LEB128
/// length, bytes). Lengths are at most 32 bits, as in `RecordCodec`.
extension ReplicationBatch {
    static let encodingVersion: UInt8 = 1

    /// The least a write takes: an empty name's and an empty key's length, and the flag.
    private static let minimumWriteBytes = 3

    public func encoded() -> [UInt8] {
        var capacity = 16
        for write in writes {
            capacity += 16 + write.database.utf8.count + write.key.count + (write.value?.count ?? 0)
        }
        var writer = RecordWriter(capacity: capacity)
        writer.append(Self.encodingVersion)
        writer.append(Int64(bitPattern: sequence))
        writer.appendLength(writes.count)
        for write in writes {
            writer.append(write.database)
            writer.appendBytes(write.key)
            if let value = write.value {
                writer.append(UInt8(1))
                writer.appendBytes(value)
            } else {
                writer.append(UInt8(0))
            }
        }
        return writer.bytes
    }

    /// Throws `StorageError.corrupt` for anything `encoded()` did not write: another
    /// version, a truncated row, a length past its end, trailing bytes.
    public init(decoding bytes: [UInt8]) throws(StorageError) {
        self = try bytes.withBytes { raw throws(StorageError) in
            var reader = RecordReader(raw, record: "replication batch")
            try reader.expectVersion(Self.encodingVersion)
            let sequence = UInt64(bitPattern: try reader.int64())
            let count = try reader.length()
            // Checked before reserving room, so a garbage count allocates nothing.
            guard count <= reader.remainingCount / Self.minimumWriteBytes else {
                throw reader.corrupt("\(count) writes cannot fit in \(reader.remainingCount) bytes")
            }
            var writes: [ReplicatedWrite] = []
            writes.reserveCapacity(count)
            for _ in 0..<count {
                let database = try reader.string()
                let key = try reader.byteString()
                let value: [UInt8]?
                switch try reader.uint8() {
                case 0: value = nil
                case 1: value = try reader.byteString()
                case let flag: throw reader.corrupt("bad value flag \(flag)")
                }
                writes.append(ReplicatedWrite(database: database, key: key, value: value))
            }
            try reader.expectEnd()
            return ReplicationBatch(sequence: sequence, writes: writes)
        }
    }
}
