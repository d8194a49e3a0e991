import IrisLog

/// Unacknowledged AppendRequests to one peer, bounded by batch count and bytes.
public struct InflightWindow: Sendable, Hashable {
    /// One unacknowledged batch: its last offset and accounted bytes.
    public struct Batch: Sendable, Hashable {
        public var lastOffset: LogEnd
        public var bytes: Int
    }

    public let batchesMax: Int
    public let bytesMax: Int
    public private(set) var batches: [Batch] = []
    public private(set) var bytes = 0

    public init(batchesMax: Int, bytesMax: Int) {
        self.batchesMax = batchesMax
        self.bytesMax = bytesMax
    }

    public var isEmpty: Bool { batches.isEmpty }
    public var count: Int { batches.count }

    /// Bytes that may still be sent without exceeding `bytesMax`.
    public var bytesAvailable: Int { batchesMax > batches.count ? bytesMax - bytes : 0 }

    /// Records a sent batch; the caller has checked it fits.
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
