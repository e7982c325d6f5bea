import SeatCore

/// The on-disk encoding of keys and records. Pure: no I/O, so it is tested on its own.
///
/// Every record starts with a version byte. Integers are big-endian, strings are
/// UTF-8 with an unsigned LEB128 length prefix (records are mostly short strings, so a
/// one-byte length keeps them compact). Decoding works directly on the bytes LMDB
/// hands out, without copying them first.
enum RecordCodec {
    static let recordVersion: UInt8 = 1

    // MARK: Keys

    /// A session token as a 16-byte big-endian key, without allocating.
    static func withTokenKey<T, E: Error>(
        _ token: SessionToken,
        _ body: (UnsafeRawBufferPointer) throws(E) -> T
    ) throws(E) -> T {
        var key = (token.high.bigEndian, token.low.bigEndian)
        return try withUnsafeBytes(of: &key) { bytes throws(E) in try body(bytes) }
    }

    static func decodeToken(_ key: UnsafeRawBufferPointer) throws(StorageError) -> SessionToken {
        guard key.count == SessionToken.byteCount else {
            throw .corrupt("session key has \(key.count) bytes, expected \(SessionToken.byteCount)")
        }
        return SessionToken(
            high: UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            low: UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        )
    }

    static let endedByTimeKeyCount = 8 + SessionToken.byteCount

    /// `ended_by_time` key: endedAt then token, so keys sort by end time. The sign bit is
    /// flipped so negative times still sort before positive ones as unsigned bytes.
    static func withEndedByTimeKey<T, E: Error>(
        endedAt: Timestamp,
        token: SessionToken,
        _ body: (UnsafeRawBufferPointer) throws(E) -> T
    ) throws(E) -> T {
        let time = UInt64(bitPattern: endedAt.millisecondsSinceEpoch) ^ (1 << 63)
        var key = (time.bigEndian, token.high.bigEndian, token.low.bigEndian)
        return try withUnsafeBytes(of: &key) { bytes throws(E) in try body(bytes) }
    }

    static func decodeEndedByTimeKey(_ key: UnsafeRawBufferPointer) throws(StorageError) -> (endedAt: Timestamp, token: SessionToken) {
        guard key.count == endedByTimeKeyCount else {
            throw .corrupt("ended_by_time key has \(key.count) bytes, expected \(endedByTimeKeyCount)")
        }
        let time = UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) ^ (1 << 63)
        let token = try decodeToken(UnsafeRawBufferPointer(rebasing: key[8...]))
        return (Timestamp(millisecondsSinceEpoch: Int64(bitPattern: time)), token)
    }

    // MARK: License

    /// Version 2 added the tenant (after the key) and the provenance (at the end);
    /// version 1 records read as the default tenant, unsigned, from the licenses file.
    /// Version 3 added the overage (at the end: UInt8 0 none; or 1 extra seats, 2 a
    /// factor in thousandths, then Int64 that number) and then the seat counting (UInt8 0
    /// session, 1 user, 2 host); older records read as no overage, session counting.
    static let licenseRecordVersion: UInt8 = 3

    static func encode(_ license: License) -> [UInt8] {
        var writer = RecordWriter(capacity: 48 + license.key.utf8.count + license.tenant.utf8.count + license.tier.utf8.count)
        writer.append(licenseRecordVersion)
        writer.append(license.key)
        writer.append(license.tenant)
        writer.append(Int64(license.seats))
        writer.append(license.tier)
        // Sorted so equal licenses always encode to equal bytes.
        let features = license.features.sorted { $0.key < $1.key }
        writer.appendLength(features.count)
        for (key, value) in features {
            writer.append(key)
            writer.append(value)
        }
        writer.appendOptional(license.expiresAt)
        writer.append(stateCode(license.state))
        let provenance = license.provenance
        writer.append(provenance.serial)
        writer.appendOptional(provenance.issuedAt)
        writer.append(provenance.signingKeyID ?? "")
        writer.append(provenance.origin == .file ? UInt8(0) : UInt8(1))
        switch license.overage {
        case .none:
            writer.append(UInt8(0))
        case .seats(let count):
            writer.append(UInt8(1))
            writer.append(Int64(count))
        case .factor(let thousandths):
            writer.append(UInt8(2))
            writer.append(Int64(thousandths))
        }
        switch license.seatCounting {
        case .session: writer.append(UInt8(0))
        case .user: writer.append(UInt8(1))
        case .host: writer.append(UInt8(2))
        }
        return writer.bytes
    }

    static func decodeLicense(_ bytes: UnsafeRawBufferPointer) throws(StorageError) -> License {
        var reader = RecordReader(bytes, record: "license")
        let version = try reader.uint8()
        guard (1...licenseRecordVersion).contains(version) else { throw reader.corrupt("unknown record version \(version)") }
        let key = try reader.string()
        let tenant = version == 1 ? License.defaultTenant : try reader.string()
        let seats = try reader.int64()
        guard let seatCount = Int(exactly: seats) else { throw reader.corrupt("seat count \(seats) out of range") }
        let tier = try reader.string()
        let featureCount = try reader.length()
        var features: [String: String] = [:]
        features.reserveCapacity(featureCount)
        for _ in 0..<featureCount {
            let name = try reader.string()
            let value = try reader.string()
            guard features.updateValue(value, forKey: name) == nil else { throw reader.corrupt("duplicate feature \(name)") }
        }
        let expiresAt = try reader.optionalTimestamp("expiry")
        let state = try licenseState(try reader.uint8(), reader)
        var provenance = LicenseProvenance()
        if version >= 2 {
            provenance.serial = try reader.string()
            provenance.issuedAt = try reader.optionalTimestamp("issue time")
            let keyID = try reader.string()
            provenance.signingKeyID = keyID.isEmpty ? nil : keyID
            switch try reader.uint8() {
            case 0: provenance.origin = .file
            case 1: provenance.origin = .admin
            case let origin: throw reader.corrupt("unknown license origin \(origin)")
            }
        }
        let overage = version >= 3 ? try decodeOverage(&reader) : .none
        var seatCounting = SeatCounting.session
        if version >= 3 {
            switch try reader.uint8() {
            case 0: seatCounting = .session
            case 1: seatCounting = .user
            case 2: seatCounting = .host
            case let code: throw reader.corrupt("unknown seat counting \(code)")
            }
        }
        try reader.expectEnd()
        return License(
            key: key, tenant: tenant, seats: seatCount, overage: overage, seatCounting: seatCounting, tier: tier, features: features,
            expiresAt: expiresAt, state: state, provenance: provenance)
    }

    private static func decodeOverage(_ reader: inout RecordReader) throws(StorageError) -> Overage {
        let kind = try reader.uint8()
        guard kind != 0 else { return .none }
        let number = try reader.int64()
        switch (kind, Int(exactly: number)) {
        case (1, let count?) where (1...Overage.maximumSeats).contains(count): return .seats(count)
        case (2, let thousandths?) where (1001...Overage.maximumFactorThousandths).contains(thousandths): return .factor(thousandths: thousandths)
        default: throw reader.corrupt("overage \(kind)/\(number) out of range")
        }
    }

    private static func stateCode(_ state: LicenseState) -> UInt8 {
        switch state {
        case .active: 0
        case .suspended: 1
        case .revoked: 2
        }
    }

    private static func licenseState(_ code: UInt8, _ reader: RecordReader) throws(StorageError) -> LicenseState {
        switch code {
        case 0: .active
        case 1: .suspended
        case 2: .revoked
        default: throw reader.corrupt("unknown license state \(code)")
        }
    }

    // MARK: Session

    // Layout: version, createdAt, lastHeartbeatAt, leaseExpiresAt, then the strings. The
    // token is the key. The lease times sit at a fixed offset so a heartbeat patches
    // them in place instead of decoding and re-encoding the record.
    private static let leaseOffset = 1 + 8
    /// Version 2 added the access key id at the end; version 1 sessions read as acquired
    /// without a key. Version 3 added the borrow's lease id after it (a presence flag, then
    /// 8 bytes); versions 1 and 2 read as not borrowed.
    static let sessionRecordVersion: UInt8 = 3
    private static let readableSessionVersions: ClosedRange<UInt8> = 1...sessionRecordVersion

    static func encode(_ session: Session) -> [UInt8] {
        var writer = RecordWriter(capacity: 64 + session.licenseKey.utf8.count + session.user.utf8.count
            + session.hostname.utf8.count + session.hardwareID.utf8.count + session.accessKeyID.utf8.count)
        writer.append(sessionRecordVersion)
        writer.append(session.createdAt.millisecondsSinceEpoch)
        writer.append(session.lastHeartbeatAt.millisecondsSinceEpoch)
        writer.append(session.leaseExpiresAt.millisecondsSinceEpoch)
        writer.append(session.licenseKey)
        writer.append(session.user)
        writer.append(session.hostname)
        writer.append(session.hardwareID)
        writer.append(session.clientVersion)
        writer.append(session.clientAddress)
        writer.append(session.accessKeyID)
        if let leaseID = session.borrowLeaseID {
            writer.append(UInt8(1))
            writer.append(Int64(bitPattern: leaseID))
        } else {
            writer.append(UInt8(0))
        }
        return writer.bytes
    }

    static func decodeSession(token: SessionToken, _ bytes: UnsafeRawBufferPointer) throws(StorageError) -> Session {
        var reader = RecordReader(bytes, record: "session")
        let version = try reader.uint8()
        guard readableSessionVersions.contains(version) else { throw reader.corrupt("unknown record version \(version)") }
        let createdAt = try reader.int64()
        let lastHeartbeatAt = try reader.int64()
        let leaseExpiresAt = try reader.int64()
        var session = Session(
            token: token,
            licenseKey: try reader.string(),
            user: try reader.string(),
            hostname: try reader.string(),
            hardwareID: try reader.string(),
            clientVersion: try reader.string(),
            clientAddress: try reader.string(),
            createdAt: Timestamp(millisecondsSinceEpoch: createdAt),
            lastHeartbeatAt: Timestamp(millisecondsSinceEpoch: lastHeartbeatAt),
            leaseExpiresAt: Timestamp(millisecondsSinceEpoch: leaseExpiresAt)
        )
        if version >= 2 { session.accessKeyID = try reader.string() }
        if version >= 3 {
            switch try reader.uint8() {
            case 0: break
            case 1: session.borrowLeaseID = UInt64(bitPattern: try reader.int64())
            case let flag: throw reader.corrupt("bad borrow flag \(flag)")
            }
        }
        try reader.expectEnd()
        return session
    }

    /// A copy of an encoded session record with new lease times.
    static func refreshingLease(
        _ bytes: UnsafeRawBufferPointer,
        lastHeartbeatAt: Timestamp,
        leaseExpiresAt: Timestamp
    ) throws(StorageError) -> [UInt8] {
        guard bytes.count >= leaseOffset + 16, readableSessionVersions.contains(bytes[0]) else {
            throw .corrupt("session record: unknown version or truncated")
        }
        var record = Array(bytes)
        record.withUnsafeMutableBytes { out in
            out.storeBytes(of: lastHeartbeatAt.millisecondsSinceEpoch.bigEndian, toByteOffset: leaseOffset, as: Int64.self)
            out.storeBytes(of: leaseExpiresAt.millisecondsSinceEpoch.bigEndian, toByteOffset: leaseOffset + 8, as: Int64.self)
        }
        return record
    }

    // MARK: Tenant

    static func encode(_ tenant: Tenant) -> [UInt8] {
        var writer = RecordWriter(capacity: 16 + tenant.id.utf8.count + tenant.name.utf8.count)
        writer.append(recordVersion)
        writer.append(tenant.id)
        writer.append(tenant.name)
        writer.append(tenant.createdAt.millisecondsSinceEpoch)
        return writer.bytes
    }

    static func decodeTenant(_ bytes: UnsafeRawBufferPointer) throws(StorageError) -> Tenant {
        var reader = RecordReader(bytes, record: "tenant")
        try reader.expectVersion(recordVersion)
        let tenant = Tenant(id: try reader.string(), name: try reader.string(), createdAt: Timestamp(millisecondsSinceEpoch: try reader.int64()))
        try reader.expectEnd()
        return tenant
    }

    // MARK: Access key

    static func encode(_ key: AccessKey) -> [UInt8] {
        var writer = RecordWriter(capacity: 80 + key.label.utf8.count)
        writer.append(recordVersion)
        writer.append(key.id)
        writer.append(key.tenant ?? "")
        // The codes are stored: never renumber them.
        let role: UInt8 = switch key.role {
        case .client: 0
        case .admin: 1
        case .viewer: 2
        }
        writer.append(role)
        writer.appendLength(key.secretDigest.count)
        for byte in key.secretDigest { writer.append(byte) }
        writer.append(key.label)
        writer.append(key.createdAt.millisecondsSinceEpoch)
        writer.appendOptional(key.revokedAt)
        return writer.bytes
    }

    static func decodeAccessKey(_ bytes: UnsafeRawBufferPointer) throws(StorageError) -> AccessKey {
        var reader = RecordReader(bytes, record: "access key")
        try reader.expectVersion(recordVersion)
        let id = try reader.string()
        let tenant = try reader.string()
        let role: AccessRole
        switch try reader.uint8() {
        case 0: role = .client
        case 1: role = .admin
        case 2: role = .viewer
        case let code: throw reader.corrupt("unknown role \(code)")
        }
        let digestCount = try reader.length()
        guard digestCount == 32 else { throw reader.corrupt("digest of \(digestCount) bytes") }
        var digest: [UInt8] = []
        digest.reserveCapacity(digestCount)
        for _ in 0..<digestCount { digest.append(try reader.uint8()) }
        let key = AccessKey(
            id: id, tenant: tenant.isEmpty ? nil : tenant, role: role, secretDigest: digest,
            label: try reader.string(), createdAt: Timestamp(millisecondsSinceEpoch: try reader.int64()),
            revokedAt: try reader.optionalTimestamp("revocation time")
        )
        try reader.expectEnd()
        return key
    }

    // MARK: Ended session (tombstone)

    /// Version 2 added the tenant at the end; version 1 tombstones read as the default tenant.
    static let endedSessionRecordVersion: UInt8 = 2

    static func encode(_ ended: EndedSession) -> [UInt8] {
        var writer = RecordWriter(capacity: 18 + ended.licenseKey.utf8.count + ended.tenant.utf8.count)
        writer.append(endedSessionRecordVersion)
        writer.append(ended.end.rawValue)
        writer.append(ended.endedAt.millisecondsSinceEpoch)
        writer.append(ended.licenseKey)
        writer.append(ended.tenant)
        return writer.bytes
    }

    static func decodeEndedSession(token: SessionToken, _ bytes: UnsafeRawBufferPointer) throws(StorageError) -> EndedSession {
        var reader = RecordReader(bytes, record: "ended session")
        let version = try reader.uint8()
        guard version == 1 || version == endedSessionRecordVersion else { throw reader.corrupt("unknown record version \(version)") }
        let code = try reader.uint8()
        guard let end = SessionEnd(rawValue: code) else { throw reader.corrupt("unknown session end \(code)") }
        let endedAt = Timestamp(millisecondsSinceEpoch: try reader.int64())
        let licenseKey = try reader.string()
        let tenant = version == 1 ? License.defaultTenant : try reader.string()
        try reader.expectEnd()
        return EndedSession(token: token, licenseKey: licenseKey, tenant: tenant, end: end, endedAt: endedAt)
    }

    // MARK: Schema version

    static func encodeSchemaVersion(_ version: UInt32) -> [UInt8] {
        var writer = RecordWriter(capacity: 4)
        writer.append(version)
        return writer.bytes
    }

    static func decodeSchemaVersion(_ bytes: UnsafeRawBufferPointer) throws(StorageError) -> UInt32 {
        var reader = RecordReader(bytes, record: "schema version")
        let version = try reader.uint32()
        try reader.expectEnd()
        return version
    }
}

/// Appends big-endian integers and length-prefixed strings to a byte array.
struct RecordWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func append(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Unsigned LEB128.
    mutating func appendLength(_ length: Int) {
        var remaining = UInt(length)
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    mutating func append(_ string: String) {
        appendLength(string.utf8.count)
        bytes.append(contentsOf: string.utf8)
    }

    /// Raw bytes with the same length prefix as a string.
    mutating func appendBytes(_ value: [UInt8]) {
        appendLength(value.count)
        bytes.append(contentsOf: value)
    }

    /// A presence flag (0 or 1), then the time if present.
    mutating func appendOptional(_ time: Timestamp?) {
        if let time {
            append(UInt8(1))
            append(time.millisecondsSinceEpoch)
        } else {
            append(UInt8(0))
        }
    }
}

/// Reads what `RecordWriter` wrote; every failure is `StorageError.corrupt`.
struct RecordReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private let record: StaticString

    init(_ bytes: UnsafeRawBufferPointer, record: StaticString) {
        self.bytes = bytes
        self.record = record
    }

    func corrupt(_ reason: String) -> StorageError {
        .corrupt("\(record) record: \(reason)")
    }

    private mutating func take(_ count: Int) throws(StorageError) -> UnsafeRawBufferPointer {
        guard count <= bytes.count - offset else { throw corrupt("truncated at byte \(offset)") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func expectVersion(_ version: UInt8) throws(StorageError) {
        let found = try uint8()
        guard found == version else { throw corrupt("unknown record version \(found)") }
    }

    /// Bytes not read yet.
    var remainingCount: Int { bytes.count - offset }

    mutating func expectEnd() throws(StorageError) {
        guard offset == bytes.count else { throw corrupt("\(bytes.count - offset) trailing bytes") }
    }

    mutating func uint8() throws(StorageError) -> UInt8 {
        try take(1)[0]
    }

    mutating func uint32() throws(StorageError) -> UInt32 {
        UInt32(bigEndian: try take(4).loadUnaligned(as: UInt32.self))
    }

    mutating func int64() throws(StorageError) -> Int64 {
        Int64(bigEndian: try take(8).loadUnaligned(as: Int64.self))
    }

    /// What `RecordWriter.appendOptional` wrote.
    mutating func optionalTimestamp(_ field: String) throws(StorageError) -> Timestamp? {
        switch try uint8() {
        case 0: return nil
        case 1: return Timestamp(millisecondsSinceEpoch: try int64())
        case let flag: throw corrupt("bad \(field) flag \(flag)")
        }
    }

    /// Unsigned LEB128, at most 32 bits: a longer length can only be garbage.
    mutating func length() throws(StorageError) -> Int {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            let byte = try uint8()
            guard shift < 32, shift < 28 || byte & 0x7f < 0x10 else { throw corrupt("length prefix too long") }
            result |= UInt32(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return Int(result) }
            shift += 7
        }
    }

    /// What `RecordWriter.appendBytes` wrote.
    mutating func byteString() throws(StorageError) -> [UInt8] {
        Array(try take(try length()))
    }

    mutating func string() throws(StorageError) -> String {
        let utf8 = try take(try length()).assumingMemoryBound(to: UInt8.self)
        // Nearly every stored string is ASCII. `String(decoding:)` is the fast path but
        // repairs invalid UTF-8 instead of rejecting it, so only ASCII skips validation
        // (the generic `String(validating:)` cost a third of the start-up load).
        if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
        guard let string = String(validating: utf8, as: UTF8.self) else { throw corrupt("invalid UTF-8") }
        return string
    }
}
