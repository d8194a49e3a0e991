import IrisLog

/// Leader to follower: frames to append after the prefix ending at `prevLogOffset`, whose
/// last record has term `prevLogTerm`. With no frames it is a heartbeat that still checks
/// the prefix and carries the commit offset.
public struct AppendRequest: Hashable, Sendable {
    /// The leader's current term.
    public var term: Term
    /// End of the prefix the frames follow: the first frame's `baseOffset` (`LogEnd.zero` for the start).
    public var prevLogOffset: LogEnd
    /// Term of the last record of that prefix in the leader's log (`Term.zero` for the empty prefix).
    public var prevLogTerm: Term
    /// Whole, contiguous frames from `prevLogOffset` on, exactly as stored in the leader's
    /// log (term in each header, chained by previous CRC); possibly none.
    public var frames: [SealedFrame]
    /// The leader's commit offset (records below it are committed).
    public var commitOffset: LogEnd

    /// Builds a request without checking it: the leader's own construction. A request received
    /// from elsewhere is built with `init(validating:...)`, and the core checks every request it
    /// receives anyway (`defect(frameBytesMax:messageBytesMax:)`).
    public init(term: Term, prevLogOffset: LogEnd, prevLogTerm: Term, frames: [SealedFrame], commitOffset: LogEnd) {
        self.term = term
        self.prevLogOffset = prevLogOffset
        self.prevLogTerm = prevLogTerm
        self.frames = frames
        self.commitOffset = commitOffset
    }

    /// End of the prefix this request covers (`prevLogOffset` when it has no frames).
    public var lastOffset: LogEnd { frames.last?.end ?? prevLogOffset }

    /// Whether the frames start at `prevLogOffset` and follow each other without gap or
    /// overlap. (Their CRC chain is the storage engine's to check when it stores them.)
    public var framesAreContiguous: Bool {
        var end = prevLogOffset
        for frame in frames {
            guard frame.start == end else { return false }
            end = frame.end
        }
        return true
    }

    /// Bytes charged against flow control for this request.
    public var accountedBytes: Int { frames.reduce(0) { $0 + $1.bytes.count } }
}
