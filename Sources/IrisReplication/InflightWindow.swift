import IrisLog

/// Unacknowledged AppendRequests to one peer, bounded by batch count and bytes.
public struct InflightWindow: Sendable, Hashable {
    /// One unacknowledged batch: its last offset and accounted bytes.
    public struct Batch: Sendable, Hashable {
        /// The end of the prefix the batch's request covered (`AppendRequest.lastOffset`).
        public var lastOffset: LogEnd
        /// The request's frame bytes (`AppendRequest.accountedBytes`).
        public var bytes: Int
    }

    /// Most batches in flight (`ReplicaConfiguration.inflightBatchesMax`).
    public let batchesMax: Int
    /// Most frame bytes in flight (`ReplicaConfiguration.inflightBytesMax`).
    public let bytesMax: Int
    /// The batches in flight, oldest first.
    public private(set) var batches: [Batch] = []
    /// Frame bytes in flight: the sum of the batches' `bytes`.
    public private(set) var bytes = 0

    /// An empty window with these limits.
    public init(batchesMax: Int, bytesMax: Int) {
        self.batchesMax = batchesMax
        self.bytesMax = bytesMax
    }

    /// Whether no batch is in flight.
    public var isEmpty: Bool { batches.isEmpty }
    /// The number of batches in flight.
    public var count: Int { batches.count }

    /// Bytes that may still be sent without exceeding `bytesMax`.
    public var bytesAvailable: Int { batchesMax > batches.count ? bytesMax - bytes : 0 }

    /// Records a sent batch; the caller has checked it fits (traps when it does not).
    public mutating func add(lastOffset: LogEnd, bytes batchBytes: Int) {
        precondition(batches.count < batchesMax && bytes + batchBytes <= bytesMax, "in-flight window overrun")
        batches.append(Batch(lastOffset: lastOffset, bytes: batchBytes))
        bytes += batchBytes
    }

    /// Forgets batches fully acknowledged by a match through `offset`.
    public mutating func free(through offset: LogEnd) {
        var removed = 0
        for batch in batches {
            guard batch.lastOffset <= offset else { break }
            bytes -= batch.bytes
            removed += 1
        }
        if removed > 0 { batches.removeFirst(removed) }
    }

    /// Forgets everything (the batches are presumed lost).
    public mutating func reset() {
        batches.removeAll(keepingCapacity: true)
        bytes = 0
    }
}
