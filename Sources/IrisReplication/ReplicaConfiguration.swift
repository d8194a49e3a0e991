import IrisLog

/// Static configuration of one replica. Construct it with the throwing
/// initializer, which validates every setting and returns typed errors.
public struct ReplicaConfiguration: Sendable, Hashable {
    /// This replica.
    public let nodeID: NodeID
    /// All replicas, including this one (1, 3 or 5; one is a single node that commits on its own fsync).
    public let members: [NodeID]
    /// Inclusive lower bound of the randomized election timeout.
    public let electionTimeoutTicksMin: Int
    /// Exclusive upper bound of the randomized election timeout.
    public let electionTimeoutTicksMax: Int
    /// A leader sends heartbeats (and retries probes) this often.
    public let heartbeatIntervalTicks: Int
    /// A peer in replicate state with unacknowledged batches and no progress for
    /// this long is moved back to probe state (its messages are presumed lost).
    public let replicationRetryTicks: Int
    /// Most unacknowledged AppendRequests with frames per peer.
    public let inflightBatchesMax: Int
    /// Most unacknowledged frame bytes per peer.
    public let inflightBytesMax: Int
    /// Most frame bytes in one AppendRequest.
    public let messageBytesMax: Int
    /// Largest frame (header included) a client batch may encode to.
    public let frameBytesMax: Int
    /// Most client appends the leader holds uncommitted before rejecting more
    /// with `.overloaded`.
    public let uncommittedAppendsMax: Int
    /// Most messages held back while a hard state persist is in flight; extra
    /// messages are dropped (the protocol tolerates loss).
    public let heldMessagesMax: Int
    /// TEST-ONLY: deliberately broken behaviours; package access, so always empty in production.
    package var plantedBugs: PlantedBugs = []

    /// Number of replicas that form a majority.
    public var quorum: Int { members.count / 2 + 1 }

    /// A validated configuration. Times are in ticks (`Event.tick`; the shell picks the tick
    /// length), sizes in bytes of sealed frames. `members` is stored sorted.
    ///
    /// Defaults: election timeout 10..<20 ticks, heartbeat every 2 ticks, replication retry
    /// after 6 ticks, 8 batches and 64 KiB in flight per peer, 16 KiB per message, 4 KiB per
    /// frame, 256 uncommitted appends, 64 held messages. Every replica of a group MUST use the
    /// same `frameBytesMax` (SPEC.md §9.11).
    ///
    /// - Throws: `ConfigurationError` when membership is not 1, 3 or 5 distinct replicas including
    ///   `nodeID`, a setting is below its minimum (`valueTooSmall`), the election timeout range
    ///   is empty, heartbeats are not shorter than the shortest election timeout, or
    ///   `frameBytesMax <= messageBytesMax <= inflightBytesMax` does not hold.
    public init(
        nodeID: NodeID,
        members: [NodeID],
        electionTimeoutTicksMin: Int = 10,
        electionTimeoutTicksMax: Int = 20,
        heartbeatIntervalTicks: Int = 2,
        replicationRetryTicks: Int = 6,
        inflightBatchesMax: Int = 8,
        inflightBytesMax: Int = 64 * 1024,
        messageBytesMax: Int = 16 * 1024,
        frameBytesMax: Int = 4 * 1024,
        uncommittedAppendsMax: Int = 256,
        heldMessagesMax: Int = 64
    ) throws(ConfigurationError) {
        guard members.count == 1 || members.count == 3 || members.count == 5 else {
            throw .unsupportedMemberCount(members.count)
        }
        var seen = Set<NodeID>()
        for member in members where !seen.insert(member).inserted {
            throw .duplicateMember(member)
        }
        guard seen.contains(nodeID) else { throw .nodeNotMember(nodeID) }
        let minimums: [(String, Int, Int)] = [
            ("electionTimeoutTicksMin", electionTimeoutTicksMin, 2),
            ("heartbeatIntervalTicks", heartbeatIntervalTicks, 1),
            ("replicationRetryTicks", replicationRetryTicks, 1),
            ("inflightBatchesMax", inflightBatchesMax, 1),
            ("inflightBytesMax", inflightBytesMax, ReplicaConfiguration.frameBytesMin),
            ("messageBytesMax", messageBytesMax, ReplicaConfiguration.frameBytesMin),
            ("frameBytesMax", frameBytesMax, ReplicaConfiguration.frameBytesMin),
            ("uncommittedAppendsMax", uncommittedAppendsMax, 1),
            ("heldMessagesMax", heldMessagesMax, 1),
        ]
        for (setting, value, minimum) in minimums where value < minimum {
            throw .valueTooSmall(setting: setting, value: value, minimum: minimum)
        }
        guard electionTimeoutTicksMax > electionTimeoutTicksMin else {
            throw .electionTimeoutRangeEmpty(min: electionTimeoutTicksMin, max: electionTimeoutTicksMax)
        }
        guard heartbeatIntervalTicks < electionTimeoutTicksMin else {
            throw .heartbeatNotShorterThanElectionTimeout(
                heartbeatIntervalTicks: heartbeatIntervalTicks, electionTimeoutTicksMin: electionTimeoutTicksMin)
        }
        guard frameBytesMax <= messageBytesMax, messageBytesMax <= inflightBytesMax else {
            throw .budgetsInconsistent(
                frameBytesMax: frameBytesMax,
                messageBytesMax: messageBytesMax, inflightBytesMax: inflightBytesMax)
        }
        self.nodeID = nodeID
        self.members = members.sorted()
        self.electionTimeoutTicksMin = electionTimeoutTicksMin
        self.electionTimeoutTicksMax = electionTimeoutTicksMax
        self.heartbeatIntervalTicks = heartbeatIntervalTicks
        self.replicationRetryTicks = replicationRetryTicks
        self.inflightBatchesMax = inflightBatchesMax
        self.inflightBytesMax = inflightBytesMax
        self.messageBytesMax = messageBytesMax
        self.frameBytesMax = frameBytesMax
        self.uncommittedAppendsMax = uncommittedAppendsMax
        self.heldMessagesMax = heldMessagesMax
    }

    /// The smallest frame budget that holds a frame header and a short record.
    public static let frameBytesMin = 128

    /// The other members.
    public var peers: [NodeID] { members.filter { $0 != nodeID } }
}
