/// Why bytes received from a peer are not a frame this node accepts (SPEC.md §9.5.6).
///
/// A transport that gets one of these SHOULD close the connection (the byte stream can no
/// longer be trusted to be in step) and log the description. Between correctly configured
/// nodes of one cluster none of them happens; each description says what to check.
public enum PeerWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The connection does not start with the peer preamble "IRSP" (it may be a client's, "IRSC").
    case notPeerPreamble([UInt8])
    /// The peer preamble names a protocol version this node does not speak.
    case unsupportedPreambleVersion(UInt32)
    /// The frame's length field is below the header or above the receiver's `peerFrameBytesMax`.
    case lengthOutOfRange(length: UInt32, minimum: Int, maximum: Int)
    /// The frame's CRC32C does not match its bytes.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// The frame's version field names a format this node does not know.
    case unknownVersion(UInt16)
    /// The frame's kind is neither HELLO (1) nor MESSAGES (2).
    case unknownKind(UInt16)
    /// The frame belongs to another cluster.
    case clusterMismatch(received: ClusterID, expected: ClusterID)
    /// The sender is not another member of the receiver's cluster.
    case unknownSender(NodeID)
    /// The frame is addressed to another node.
    case wrongRecipient(received: NodeID, expected: NodeID)
    /// A message names a partition outside 0 ..< P.
    case partitionOutOfRange(partition: PartitionID, partitionCount: Int)
    /// The frame carries more messages than the receiver's `messagesPerPeerFrameMax`.
    case tooManyMessages(count: UInt32, maximum: Int)
    /// A field, or the bytes a count or length field announces, extends past the end of the
    /// frame or of the message body holding it.
    case fieldBeyondEnd(field: String, position: Int, bytesNeeded: UInt64, bytesLeft: Int)
    /// Bytes follow the last field of a frame or of a message body.
    case trailingBytes(after: String, position: Int, count: Int)
    /// A boolean field holds a byte other than 0 or 1.
    case invalidBoolean(field: String, position: Int, value: UInt8)
    /// An AppendRequest carries bytes that are not a valid sealed frame (length, CRC, header).
    case invalidSealedFrame(partition: PartitionID, index: Int, reason: String)
    /// A message fails the structural checks of SPEC.md §9.5.5.
    case invalidMessage(partition: PartitionID, defect: MessageDefect)

    /// What went wrong and what to check.
    public var description: String {
        switch self {
        case .notPeerPreamble(let bytes):
            "connection does not start with the peer preamble \"IRSP\" (got \(PeerWireError.hex(bytes))): "
                + "the other side is not an Iris node (a client connecting to the peer address?)"
        case .unsupportedPreambleVersion(let version):
            "peer speaks peer protocol version \(version), this node speaks \(PeerWire.protocolVersion): "
                + "run the same Iris version on every node"
        case .lengthOutOfRange(let length, let minimum, let maximum):
            "peer frame length \(length) is outside \(minimum)...\(maximum): the stream is corrupt, or the "
                + "peer's limits exceed this node's peerFrameBytesMax; configure every node alike"
        case .checksumMismatch(let stored, let computed):
            "peer frame CRC mismatch (stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))): "
                + "the bytes were damaged in transit; the connection must be reopened"
        case .unknownVersion(let version):
            "peer frame version \(version) is unknown (this node speaks \(PeerWire.frameVersion)): "
                + "run the same Iris version on every node"
        case .unknownKind(let kind):
            "peer frame kind \(kind) is unknown (1 HELLO, 2 MESSAGES): run the same Iris version on every node"
        case .clusterMismatch(let received, let expected):
            "peer frame from cluster \(received), this node is in cluster \(expected): the peer was started "
                + "with another cluster's data directory, or --cluster lists a node of another cluster"
        case .unknownSender(let node):
            "peer frame from \(node), which is not another member of this cluster: check --id and --cluster on both nodes"
        case .wrongRecipient(let received, let expected):
            "peer frame for \(received) reached \(expected): the peer's --cluster maps \(received) to this node's address"
        case .partitionOutOfRange(let partition, let partitionCount):
            "message for partition \(partition), but the cluster has \(partitionCount) partitions: "
                + "start every node with the same --partitions"
        case .tooManyMessages(let count, let maximum):
            "peer frame carries \(count) messages, more than messagesPerPeerFrameMax \(maximum): configure every node alike"
        case .fieldBeyondEnd(let field, let position, let bytesNeeded, let bytesLeft):
            "peer frame field \(field) at byte \(position) needs \(bytesNeeded) bytes, \(bytesLeft) left: malformed frame"
        case .trailingBytes(let after, let position, let count):
            "\(count) unexpected bytes after \(after) at byte \(position): malformed frame"
        case .invalidBoolean(let field, let position, let value):
            "peer frame field \(field) at byte \(position) is \(value), not 0 or 1: malformed frame"
        case .invalidSealedFrame(let partition, let index, let reason):
            "AppendRequest for partition \(partition) carries an invalid frame at index \(index): \(reason)"
        case .invalidMessage(let partition, let defect):
            "message for partition \(partition) is malformed (\(defect), SPEC.md §9.5.5): check that every node "
                + "runs the same Iris version with the same frameBytesMax and messageBytesMax"
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}
