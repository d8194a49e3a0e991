/// What a peer frame carries after its header (SPEC.md §9.5.6).
public enum PeerFrameBody: Hashable, Sendable {
    /// Kind 1: the first frame each side sends on a connection; it names the cluster and the
    /// node, and has no body.
    case hello
    /// Kind 2: replication messages of any number of partitions, in the order they were sent.
    case messages([PartitionMessage])
}
