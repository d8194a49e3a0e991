/// A replication message of one partition's Raft group, as a peer frame carries it.
///
/// The envelope's `from` and `to` are the frame's (`PeerFrameHeader`): one frame carries
/// messages of many partitions between one pair of nodes.
public struct PartitionMessage: Hashable, Sendable {
    /// The partition whose replica sent the message and whose replica receives it.
    public var partition: PartitionID
    /// The message with its sender and recipient nodes.
    public var envelope: Envelope

    /// `envelope` for the replicas of `partition`.
    public init(partition: PartitionID, envelope: Envelope) {
        self.partition = partition
        self.envelope = envelope
    }
}
