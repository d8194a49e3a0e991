import IrisMQTT

/// The settings of one shard: the sessions of one partition (SPEC.md §16).
public struct ShardConfiguration: Sendable {
    /// The partition whose client IDs this shard owns.
    public var partition: Int
    /// Partitions in the cluster (fixed at creation).
    public var partitionCount: Int
    /// Subscriptions a deny filter covers are refused with 0x80 (`--mqtt-deny-subscribe`).
    public var denyFilters: [TopicFilter]
    /// Outbound QoS 1 and 2 deliveries one session may have in flight; past it the session
    /// falls back to reading from the log.
    public var flightsMax: Int
    /// Messages one catch-up read returns at most.
    public var catchUpLimit: Int
    /// Acknowledgements after which a cursor record is written without waiting for the tick.
    public var acksPerCursorRecord: Int

    /// A shard's settings; see the properties.
    public init(
        partition: Int, partitionCount: Int, denyFilters: [TopicFilter] = [], flightsMax: Int = 256, catchUpLimit: Int = 256,
        acksPerCursorRecord: Int = 1024
    ) {
        precondition(partition >= 0 && partition < partitionCount, "a shard's partition is one of the cluster's")
        self.partition = partition
        self.partitionCount = partitionCount
        self.denyFilters = denyFilters
        self.flightsMax = flightsMax
        self.catchUpLimit = catchUpLimit
        self.acksPerCursorRecord = acksPerCursorRecord
    }
}
