/// One decoded peer frame (SPEC.md §9.5.6): its header, its body, and how many messages of
/// unknown type the decoder dropped from it (SPEC.md §9.5: such messages MUST be dropped).
public struct PeerFrame: Hashable, Sendable {
    /// Cluster, sender and recipient, already checked against the receiver.
    public var header: PeerFrameHeader
    /// The hello, or the messages with their partitions.
    public var body: PeerFrameBody
    /// Messages whose tag this build does not know, skipped by their length; the transport
    /// SHOULD count them (a peer running a newer version sends them).
    public var skippedMessageCount: Int

    /// A frame as the decoder returns it.
    public init(header: PeerFrameHeader, body: PeerFrameBody, skippedMessageCount: Int = 0) {
        self.header = header
        self.body = body
        self.skippedMessageCount = skippedMessageCount
    }
}
