import IrisReplication

/// The rendezvous (highest-random-weight) hash that places partitions on nodes; SPEC.md §10.1.
///
/// Every node gets a weight for every partition; a partition's replicas are the nodes of
/// highest weight. The hash is fixed forever (a change would move every partition): it uses
/// only 64-bit wrapping arithmetic, so every implementation on every machine computes the
/// same weights.
public enum RendezvousHash {
    /// The SplitMix64 finalizer (Steele, Lea and Flood, 2014): a bijection on 64-bit values
    /// with full avalanche.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A node's key: `mix(node &+ 0x9E3779B97F4A7C15)`.
    @inline(__always)
    public static func key(of node: NodeID) -> UInt64 { mix(node.rawValue &+ 0x9E37_79B9_7F4A_7C15) }

    /// A partition's key: `mix(partition &+ 0xD1B54A32D192ED03)`.
    @inline(__always)
    public static func key(of partition: PartitionID) -> UInt64 { mix(UInt64(partition.rawValue) &+ 0xD1B5_4A32_D192_ED03) }

    /// The weight of `node` for `partition`: `mix(key(node) ^ key(partition))`. For a fixed
    /// partition it is a bijection of the node ID, so two nodes never tie.
    @inline(__always)
    public static func weight(partition: PartitionID, node: NodeID) -> UInt64 {
        combine(partitionKey: key(of: partition), nodeKey: key(of: node))
    }

    /// `weight` from precomputed keys.
    @inline(__always)
    static func combine(partitionKey: UInt64, nodeKey: UInt64) -> UInt64 { mix(nodeKey ^ partitionKey) }
}
