import IrisLog

/// Why an `IrisClient` call failed; each description says what to do next.
public enum IrisClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An endpoint is not "host:port".
    case invalidEndpoint(String)
    /// `IrisClient.init` got no endpoint.
    case noEndpoints
    /// `append` was given no record.
    case emptyBatch
    /// The batch breaks a protocol limit (client side) or the partition's frame size (server side).
    case tooLarge(detail: String)
    /// The cluster has no such partition.
    case unknownPartition(UInt32)
    /// The append was sent but no answer said whether it committed before the timeout: it may
    /// be in the log or not. `lastProblem` is the last failure seen.
    case outcomeUnknown(partition: UInt32, sequence: UInt64, lastProblem: String)
    /// The server no longer remembers the sequence: if an earlier attempt reached it, the
    /// append may or may not be in the log.
    case sequenceTooOld(partition: UInt32, sequence: UInt64)
    /// No node answered usefully before the timeout; an append that ends so was never sent
    /// to a node that could have stored it.
    case unreachable(detail: String)
    /// A node answered something the protocol does not allow here.
    case protocolViolation(detail: String)
    /// The client was closed, or the calling task cancelled, before the call completed.
    case cancelled
    /// The TLS handler could not be set up for an endpoint.
    case tls(detail: String)

    /// One line saying what failed and what to do.
    public var description: String {
        switch self {
        case .invalidEndpoint(let text): "endpoint \"\(text)\" is not HOST:PORT (e.g. 127.0.0.1:7100)"
        case .noEndpoints: "no endpoint given: name at least one node as HOST:PORT"
        case .emptyBatch: "an append needs at least one record"
        case .tooLarge(let detail): "batch too large (\(detail)): split it into smaller appends"
        case .unknownPartition(let partition): "partition \(partition) does not exist on this cluster (see `iris-log info --cluster`)"
        case .outcomeUnknown(let partition, let sequence, let problem):
            "append to partition \(partition) (sequence \(sequence)) timed out after it was sent; it may or may not have committed (last problem: \(problem)): check with `iris-log dump --cluster` before appending again"
        case .sequenceTooOld(let partition, let sequence):
            "partition \(partition) no longer remembers producer sequence \(sequence): the append's outcome cannot be told; check with `iris-log dump --cluster`"
        case .unreachable(let detail): "no node could serve the request before the timeout (\(detail)): check the nodes are running and the endpoints are right"
        case .protocolViolation(let detail): "a node broke the client protocol: \(detail)"
        case .cancelled: "the client was closed or the task cancelled before the call completed"
        case .tls(let detail): "TLS setup failed: \(detail)"
        }
    }
}
