import Foundation

/// `status`'s `cluster`: the answering node's role in its group, the leadership epoch it
/// knows, the active node, and the nodes registered in the shared store.
public struct AdminCluster: Codable, Sendable, Equatable {
    public var node: String
    /// `active` or `standby`.
    public var role: String
    /// Raised by every takeover; a node commits only while the store's epoch is its own.
    public var epoch: UInt64
    /// Empty while no node is active (a takeover under way).
    public var activeNode: String
    public var activeAddress: String
    /// The last batch of the shared log this node's copy holds.
    public var appliedSequence: UInt64
    public var peers: [AdminClusterPeer]

    enum CodingKeys: String, CodingKey {
        case node, role, epoch, activeNode = "active_node", activeAddress = "active_address", appliedSequence = "applied_sequence", peers
    }
}

/// One node registered in the shared store, as it last reported itself.
public struct AdminClusterPeer: Codable, Sendable, Equatable {
    public var node: String
    public var address: String
    public var role: String
    public var appliedSequence: UInt64
    public var seen: Date

    enum CodingKeys: String, CodingKey {
        case node, address, role, appliedSequence = "applied_sequence", seen
    }
}
