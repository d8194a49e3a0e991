import IrisLog
import IrisReplication

/// The log a `ReplicaDriver` writes: reads for the core (`LogReader`) and the two writes its
/// actions ask for. `Log` (through `LogReplicaView`) in `irisd`; the simulator wraps it to
/// inject faults and observe every write.
public protocol ReplicaLog: LogReader {
    /// Appends frames byte for byte; returns once they are written (not necessarily durable).
    func append(frames: [SealedFrame]) async throws(LogError)
    /// Removes every record from `offset` on; durable when it returns (SPEC.md §6.4).
    func truncate(from offset: Offset) async throws(LogError)
}

/// An IrisLog `Log` as a replica's log. The log MUST be opened with `Durability.none`, so an
/// append returns once written and the driver decides when to sync (`Log.sync()`).
public struct LogReplicaView: ReplicaLog {
    /// The log.
    public let log: Log

    /// The view of `log`.
    public init(log: Log) { self.log = log }

    /// The log's `nextOffset` as a prefix end.
    public var lastOffset: LogEnd { LogEnd(before: log.nextOffset) }

    /// The frame holding `offset`; `.offsetOutOfRange` when there is none.
    public func frame(holding offset: Offset) throws(LogError) -> SealedFrame {
        guard let frame = try log.readFrames(from: offset, maxBytes: 1).first else {
            throw .offsetOutOfRange(requested: offset, first: log.firstOffset, next: log.nextOffset)
        }
        return frame
    }

    /// Whole frames from the one holding `offset`, at most `bytesMax` bytes of them.
    public func frames(from offset: Offset, bytesMax: Int) throws(LogError) -> [SealedFrame] {
        let frames = try log.readFrames(from: offset, maxBytes: bytesMax)
        var bytes = 0
        return Array(frames.prefix { frame in
            bytes += frame.bytes.count
            return bytes <= bytesMax
        })
    }

    /// `Log.append(frames:)`.
    public func append(frames: [SealedFrame]) async throws(LogError) {
        _ = try await log.append(frames: frames)
    }

    /// `Log.truncate(from:)`.
    public func truncate(from offset: Offset) async throws(LogError) {
        try await log.truncate(from: offset)
    }
}
