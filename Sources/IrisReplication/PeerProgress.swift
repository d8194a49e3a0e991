import IrisLog

/// The leader's view of one follower's replication.
public struct PeerProgress: Sendable, Hashable {
    /// How the leader currently sends to the peer.
    public enum Mode: Sendable, Hashable {
        /// Catch-up: one AppendRequest at a time (read from the log) until the
        /// peer's match is found; retried every heartbeat interval.
        case probe
        /// Pipelined: up to the in-flight window, `next` advanced optimistically.
        case replicate
    }

    /// Highest offset known durably replicated on the peer.
    public var matchOffset: LogEnd = .zero
    /// Next offset to send.
    public var nextOffset: LogEnd
    /// How the leader sends to the peer now; a new leader starts every peer in `.probe`.
    public var mode: Mode = .probe
    /// The peer's unacknowledged requests with frames, bounded by the configuration's
    /// `inflightBatchesMax` and `inflightBytesMax`.
    public var inflight: InflightWindow
    /// Ticks since the peer's match last advanced (for `replicationRetryTicks`).
    public var ticksSinceProgress = 0
    /// Whether the peer answered since the last quorum check.
    public var recentlyActive = true

    /// A peer in probe mode with nothing matched yet (`matchOffset` zero), the given
    /// `nextOffset`, and an empty in-flight window of these limits.
    public init(nextOffset: LogEnd, inflightBatchesMax: Int, inflightBytesMax: Int) {
        self.nextOffset = nextOffset
        self.inflight = InflightWindow(batchesMax: inflightBatchesMax, bytesMax: inflightBytesMax)
    }
}
