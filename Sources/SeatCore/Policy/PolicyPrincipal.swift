/// Who a policy rule is about, with its group resolved to members.
///
/// "host" is the workstation as the Acquire names it: a `host` or `host_group` rule
/// matches a request whose hostname *or* hardware id is the name (protocol-spec.md 6.2).
public enum PolicyPrincipal: Sendable, Hashable, CustomStringConvertible {
    case user(String)
    case group(String, members: Set<String>)
    case host(String)
    case hostGroup(String, members: Set<String>)

    public func matches(_ subject: PolicySubject) -> Bool {
        switch self {
        case .user(let name): subject.user == name
        case .group(_, let members): members.contains(subject.user)
        case .host(let name): subject.hostname == name || subject.hardwareID == name
        case .hostGroup(_, let members): members.contains(subject.hostname) || members.contains(subject.hardwareID)
        }
    }

    /// As written in the policy file, e.g. `group eng`.
    public var description: String {
        switch self {
        case .user(let name): "user \(name)"
        case .group(let name, _): "group \(name)"
        case .host(let name): "host \(name)"
        case .hostGroup(let name, _): "host_group \(name)"
        }
    }
}

/// The identity a policy judges: the user and workstation of a request or a session.
public struct PolicySubject: Sendable, Equatable {
    public var user: String
    public var hostname: String
    public var hardwareID: String

    public init(user: String, hostname: String, hardwareID: String) {
        self.user = user
        self.hostname = hostname
        self.hardwareID = hardwareID
    }

    public init(_ request: SeatRequest) {
        self.init(user: request.user, hostname: request.hostname, hardwareID: request.hardwareID)
    }

    public init(_ session: Session) {
        self.init(user: session.user, hostname: session.hostname, hardwareID: session.hardwareID)
    }
}
