/// An organization that owns licenses. Its clients authenticate with its access keys and
/// can see and use only its licenses and sessions.
public struct Tenant: Sendable, Equatable {
    /// 1...64 bytes of `[a-z0-9._-]`; the name licenses and keys refer to.
    public var id: String
    /// For people, e.g. "ACME Corp" (0...256 bytes).
    public var name: String
    public var createdAt: Timestamp

    public init(id: String, name: String = "", createdAt: Timestamp) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }

    /// Whether `id` is a valid tenant id.
    public static func isValidID(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...64).contains(bytes.count) && bytes.allSatisfy { byte in
            (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }
}
