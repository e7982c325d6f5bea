import SeatCore
import Synchronization

/// This node's place in an active/standby group (`storage = postgresql`), as `seatctl
/// status`, `/readyz` and the metrics tell it.
struct ClusterStatus: Sendable, Equatable {
    enum Role: String, Sendable {
        case standby
        case active
    }

    struct Peer: Sendable, Equatable {
        var node: String
        var address: String
        var role: String
        var appliedSequence: UInt64
        var seenAt: Timestamp
    }

    var node: String
    var role = Role.standby
    var epoch: UInt64 = 0
    /// Empty while no node is active.
    var activeNode = ""
    var activeAddress = ""
    var appliedSequence: UInt64 = 0
    var peers: [Peer] = []
    /// Times this node became active since it started.
    var takeovers = 0

    /// The `cluster` object of the `status` admin reply.
    var json: [String: Any] {
        [
            "node": node, "role": role.rawValue, "epoch": epoch, "active_node": activeNode, "active_address": activeAddress,
            "applied_sequence": appliedSequence,
            "peers": peers.map { peer -> [String: Any] in
                ["node": peer.node, "address": peer.address, "role": peer.role, "applied_sequence": peer.appliedSequence, "seen": AdminTime.format(peer.seenAt)]
            },
        ]
    }
}

/// The node's `ClusterStatus`, updated by the election and the log follower, read by
/// every view of it.
final class ClusterState: Sendable {
    private let status: Mutex<ClusterStatus>

    init(node: String) {
        status = Mutex(ClusterStatus(node: node))
    }

    var current: ClusterStatus { status.withLock { $0 } }

    func update(_ change: (inout ClusterStatus) -> Void) {
        status.withLock { change(&$0) }
    }
}
