import IrisLog

/// The bounds a peer frame decoder enforces (SPEC.md §9.5.6); every length and count it reads
/// from the wire is checked against them or against the bytes left before anything is
/// allocated for it.
public struct PeerWireLimits: Hashable, Sendable {
    /// P: partitions are numbered 0 ..< P; a message for any other partition is refused.
    public let partitionCount: Int
    /// The largest sealed frame an AppendRequest may carry: the replicas' `frameBytesMax`.
    public let frameBytesMax: Int
    /// The most frame bytes one AppendRequest may carry: the replicas' `messageBytesMax`.
    public let messageBytesMax: Int
    /// The largest peer frame, all its fields included (the length field too). A transport
    /// reads no more than this before it has a whole frame.
    public let peerFrameBytesMax: Int
    /// The most messages one peer frame may carry.
    public let messagesPerPeerFrameMax: Int

    /// Validated limits.
    ///
    /// Defaults: the replicas' default `frameBytesMax` (4 KiB) and `messageBytesMax` (16 KiB),
    /// peer frames up to 4 MiB + 64 KiB, 65,536 messages per frame (a heartbeat for every
    /// partition of the largest cluster, SPEC.md §11.2).
    ///
    /// - Throws: `ConfigurationError.valueTooSmall` when `partitionCount` or
    ///   `messagesPerPeerFrameMax` is below 1, `frameBytesMax` below
    ///   `ReplicaConfiguration.frameBytesMin`, `messageBytesMax` below `frameBytesMax`, or
    ///   `peerFrameBytesMax` below `PeerWireLimits.peerFrameBytesNeeded(messageBytesMax:)` (a
    ///   frame must hold the largest AppendRequest the replicas send).
    public init(
        partitionCount: Int,
        frameBytesMax: Int = 4 * 1024,
        messageBytesMax: Int = 16 * 1024,
        peerFrameBytesMax: Int = 4 * 1024 * 1024 + 64 * 1024,
        messagesPerPeerFrameMax: Int = 65_536
    ) throws(ConfigurationError) {
        let minimums: [(String, Int, Int)] = [
            ("partitionCount", partitionCount, 1),
            ("frameBytesMax", frameBytesMax, ReplicaConfiguration.frameBytesMin),
            ("messageBytesMax", messageBytesMax, frameBytesMax),
            ("peerFrameBytesMax", peerFrameBytesMax, PeerWireLimits.peerFrameBytesNeeded(messageBytesMax: messageBytesMax)),
            ("messagesPerPeerFrameMax", messagesPerPeerFrameMax, 1),
        ]
        for (setting, value, minimum) in minimums where value < minimum {
            throw .valueTooSmall(setting: setting, value: value, minimum: minimum)
        }
        self.partitionCount = partitionCount
        self.frameBytesMax = frameBytesMax
        self.messageBytesMax = messageBytesMax
        self.peerFrameBytesMax = peerFrameBytesMax
        self.messagesPerPeerFrameMax = messagesPerPeerFrameMax
    }

    /// The bytes of a peer frame that carries one AppendRequest with `messageBytesMax` bytes of
    /// frames, cut into as many frames as possible (each at least a 48-byte frame header).
    public static func peerFrameBytesNeeded(messageBytesMax: Int) -> Int {
        let framesMax = messageBytesMax / FrameHeader.size
        return PeerWire.headerBytes + PeerWire.messageCountBytes + PeerWire.messagePrefixBytes
            + PeerWire.appendRequestFixedBytes + framesMax * PeerWire.frameLengthBytes + messageBytesMax
    }
}
