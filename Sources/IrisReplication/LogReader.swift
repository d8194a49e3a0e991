import IrisLog

/// Read-only view of the replica's local log (frames written, durable or not), injected into
/// `ReplicaCore.step` so the core never holds the log in memory: frames for a peer are read on
/// demand, however far behind it is. The shell adapts its IrisLog `Log` (`nextOffset`,
/// `readFrames(from:maxBytes:)`); a read error there is the shell's to handle (it stops the replica).
public protocol LogReader: Sendable {
    /// The end of the log: IrisLog's `nextOffset` (`Offset(0)` when empty).
    var lastOffset: Offset { get }
    /// The frame holding the record at IrisLog offset `offset` (below `lastOffset`).
    func frame(holding offset: Offset) -> SealedFrame?
    /// Whole frames, in order, from the one holding the record at IrisLog offset `offset`
    /// (which may start before it) to at most the end, stopping before the frame that would
    /// bring their bytes above `bytesMax`: empty when the first frame alone exceeds it.
    func frames(from offset: Offset, bytesMax: Int) -> [SealedFrame]
}

extension LogReader {
    /// The last frame, nil when the log is empty.
    var lastFrame: SealedFrame? { lastOffset == .zero ? nil : frame(holding: lastOffset.previous) }
}
