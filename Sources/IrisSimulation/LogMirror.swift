import IrisLog

/// The simulator's record of what one replica's log holds, kept beside the real IrisLog
/// `Log`: every frame with the chain hash of the prefix it completes, and the end of the
/// prefix known durable (made so by a completed `Log.sync()`, a truncation, or recovery).
/// The checker compares replicas through it; after a crash it is rebuilt from the log the
/// engine recovered, and compared with what was durable before.
public struct LogMirror: Sendable {
    /// One frame of the log and the chain hash of the prefix it ends.
    public struct Frame: Sendable {
        /// The frame as the log stores it.
        public let frame: SealedFrame
        /// Chain hash of the prefix ending with this frame.
        public let chain: UInt64
    }

    /// The log's frames, in order, from offset 0 on.
    public private(set) var frames: [Frame] = []
    /// Records below this offset are durable on the replica's disk.
    public private(set) var durableEnd = LogEnd(0)

    /// The mirror of an empty log.
    public init() {}

    /// End of the log (its `nextOffset`).
    public var end: LogEnd { frames.last?.frame.end ?? LogEnd(0) }
    /// The term of the last frame; `Term(0)` for an empty log.
    public var lastTerm: Term { frames.last?.frame.term ?? Term(0) }

    /// Index of the frame ending exactly at `end`, nil when no frame does.
    func frameIndex(endingAt end: LogEnd) -> Int? {
        var low = 0
        var high = frames.count
        while low < high {
            let middle = (low + high) / 2
            if frames[middle].frame.end < end { low = middle + 1 } else { high = middle }
        }
        return low < frames.count && frames[low].frame.end == end ? low : nil
    }

    /// Chain hash of the prefix ending at `end`: 0 for the empty prefix, nil when `end` is
    /// beyond the log or not a frame boundary.
    public func chainHash(at end: LogEnd) -> UInt64? {
        if end == LogEnd(0) { return 0 }
        return frameIndex(endingAt: end).map { frames[$0].chain }
    }

    /// Chain hash of the durable prefix ending at `end`, nil beyond the durable end.
    public func durableChainHash(at end: LogEnd) -> UInt64? {
        end <= durableEnd ? chainHash(at: end) : nil
    }

    /// Records appended frames; false when they do not follow the end.
    mutating func append(_ newFrames: [SealedFrame]) -> Bool {
        for frame in newFrames {
            guard frame.start == end else { return false }
            frames.append(Frame(frame: frame, chain: ChainHash.extend(frames.last?.chain ?? 0, with: frame)))
        }
        return true
    }

    /// Records `Log.truncate(from:)`, which is durable when it returns.
    mutating func truncate(from cut: LogEnd) {
        while let last = frames.last, last.frame.start >= cut { frames.removeLast() }
        precondition(end == cut, "truncation inside a frame")
        durableEnd = min(durableEnd, cut)
    }

    /// Records a completed `Log.sync()`.
    mutating func synced() { durableEnd = end }

    /// The mirror of a log just opened (recovered): all of it is on disk, hence durable.
    static func reading(_ log: Log) throws(LogError) -> LogMirror {
        var mirror = LogMirror()
        var next = log.firstOffset
        while next < log.nextOffset {
            let frames = try log.readFrames(from: next, maxBytes: 1 << 20)
            guard mirror.append(frames), let last = frames.last else {
                preconditionFailure("Log.readFrames returned frames that do not follow each other")
            }
            next = last.nextOffset
        }
        mirror.durableEnd = mirror.end
        return mirror
    }
}
