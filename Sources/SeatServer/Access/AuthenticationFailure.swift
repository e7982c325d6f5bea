/// Why an access key was refused, as the audit log records it. Unknown key ids are not
/// named: a client can send any number of them, and each would be a distinct audit key.
enum AuthenticationFailure: Error, Equatable {
    case malformed
    case unknownKey
    case revoked(keyID: String)
    case wrongSecret(keyID: String)
    /// A viewer key (dashboard only) presented on the seat protocol.
    case viewerKey(keyID: String)

    var reason: String {
        switch self {
        case .malformed: "malformed key"
        case .unknownKey: "unknown key"
        case .revoked(let keyID): "revoked key \(keyID)"
        case .wrongSecret(let keyID): "wrong secret for key \(keyID)"
        case .viewerKey(let keyID): "viewer key \(keyID) on the seat protocol"
        }
    }
}
