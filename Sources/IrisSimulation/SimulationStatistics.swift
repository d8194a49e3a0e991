import IrisLog
/// Counters of one run (or a sum over runs).
public struct SimulationStatistics: Sendable, Hashable {
    /// Events handed to the replicas' drivers (ticks, messages, fsync completions, client
    /// appends); each runs at most one core `step`.
    public var steps = 0
    /// Replica crashes (power loss on its disk, then recovery of its log), whatever caused them.
    public var crashes = 0
    /// Crashes after which IrisLog's recovery cut a torn tail.
    public var tornTailsCut = 0
    /// Network partitions injected (each heals by itself later).
    public var partitions = 0
    /// Power losses armed to strike at the first write of a log append or truncation (or a
    /// segment roll inside an append), so the crash lands inside the operation.
    public var crashesMidOperation = 0
    /// Replicas that fail-stopped on an injected storage fault (EIO on write or fsync, ENOSPC).
    public var storageFaults = 0
    /// Leadership transfers asked of a leader.
    public var transfers = 0
    /// Client appends acknowledged as committed.
    public var committed = 0
    /// Client appends given up with an unknown outcome: answered `.outcomeUnknown`, or timed
    /// out (`SimulationOptions.clientTimeoutMilliseconds`).
    public var outcomeUnknown = 0
    /// Client appends answered `.overloaded`.
    public var overloaded = 0
    /// `Action.send`s executed (each message once, delivered or not).
    public var messagesSent = 0
    /// Messages lost: sent across a partition or dropped at random.
    public var messagesDropped = 0
    /// Simulated time from healing all faults to the first commit of a new append.
    public var healToCommitMillisecondsMax: Double = 0
    /// Simulated time the run lasted (summed over runs).
    public var simulatedMilliseconds: Double = 0

    /// All counters zero.
    public init() {}

    /// Adds `other`'s counters to these; `healToCommitMillisecondsMax` takes the larger.
    public mutating func add(_ other: SimulationStatistics) {
        steps += other.steps
        crashes += other.crashes
        tornTailsCut += other.tornTailsCut
        partitions += other.partitions
        crashesMidOperation += other.crashesMidOperation
        storageFaults += other.storageFaults
        transfers += other.transfers
        committed += other.committed
        outcomeUnknown += other.outcomeUnknown
        overloaded += other.overloaded
        messagesSent += other.messagesSent
        messagesDropped += other.messagesDropped
        healToCommitMillisecondsMax = max(healToCommitMillisecondsMax, other.healToCommitMillisecondsMax)
        simulatedMilliseconds += other.simulatedMilliseconds
    }
}
