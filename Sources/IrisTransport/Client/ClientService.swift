import IrisClientProtocol

/// What a node does for its clients; the client connection handler calls it for each request
/// (SPEC.md §12). Methods may run concurrently, for many connections and for many requests
/// of one connection (up to `ClientConnectionConfiguration.inFlightRequestsMax` each).
public protocol ClientService: Sendable {
    /// Appends `request.records` as one batch and answers once it is committed on a quorum
    /// (`.appended`) or with why not: `.notLeader`, `.overloaded`, `.tooLarge`,
    /// `.outcomeUnknown`, `.unknownPartition`, `.sequenceTooOld` or `.unavailable`.
    /// A request whose (producerID, sequence) was appended before MUST be answered with the
    /// first answer's offset instead of appending again (SPEC.md §12.7).
    func append(_ request: AppendRequest) async -> ClientAnswer

    /// Answers `.records` with committed records from `request.from` on, as soon as one exists
    /// or, empty, after `request.waitMilliseconds` (already capped by the connection); or
    /// `.notLeader`, `.unknownPartition`, `.unavailable`. SHOULD return early, empty, when the
    /// calling task is cancelled (the connection closed).
    func read(_ request: ReadRequest) async -> ClientAnswer

    /// The cluster's nodes and every partition as this node sees them.
    func status() async -> ClusterStatus
}
