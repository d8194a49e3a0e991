import IrisLog

/// Read-only view of the replica's local log (frames written, durable or not), passed to
/// `ReplicaCore.step` so the core never holds the log in memory: frames for a peer are read on
/// demand, however far behind it is. The shell adapts its IrisLog `Log` (`nextOffset`,
/// `readFrames(from:maxBytes:)`). A read error reaches the core, which stops the replica
/// with `Action.halt` (SPEC.md §9.3.1).
public protocol LogReader: Sendable {
    /// The end of the log: IrisLog's `nextOffset` (`LogEnd(0)` when empty).
    var lastOffset: LogEnd { get }
    /// The frame holding the record at IrisLog offset `offset` (below `lastOffset`).
    /// - Throws: the log's error; `.offsetOutOfRange` when no frame holds it.
    func frame(holding offset: Offset) throws(LogError) -> SealedFrame
    /// Whole frames, in order, from the one holding the record at IrisLog offset `offset`
    /// (which may start before it) to at most the end, stopping before the frame that would
    /// bring their bytes above `bytesMax`: empty when the first frame alone exceeds it.
    /// - Throws: the log's error.
    func frames(from offset: Offset, bytesMax: Int) throws(LogError) -> [SealedFrame]
}

extension LogReader {
    /// The frame holding `offset`, or the fault that stops the replica.
    func checkedFrame(holding offset: Offset) throws(ReplicaFault) -> SealedFrame {
        let frame: SealedFrame
        do {
            frame = try self.frame(holding: offset)
        } catch {
            throw .logUnreadable(offset: LogEnd(before: offset), error: error)
        }
        guard frame.baseOffset <= offset, offset < frame.nextOffset else {
            throw .logInconsistent(offset: LogEnd(before: offset), reason: "the reader returned [\(frame.baseOffset), \(frame.nextOffset)), which does not hold it")
        }
        return frame
    }
}
