import IrisLog
import IrisReplication

/// Fixtures of the peer wire tests (SPEC.md §9.5.6): a cluster of nodes 1-3 with 16
/// partitions, seen by node 2, and frames from node 1 to it.
enum WireFixture {
    static let cluster = ClusterID(0x1122_3344_5566_7788)
    static let header = PeerFrameHeader(clusterID: cluster, from: NodeID(1), to: NodeID(2))
    static let receiver = PeerWireReceiver(clusterID: cluster, nodeID: NodeID(2), members: [NodeID(1), NodeID(2), NodeID(3)])

    static func limits(messagesPerPeerFrameMax: Int = 65_536) throws -> PeerWireLimits {
        try PeerWireLimits(partitionCount: 16, messagesPerPeerFrameMax: messagesPerPeerFrameMax)
    }

    static func decode(_ bytes: [UInt8], limits: PeerWireLimits? = nil) throws -> PeerFrame {
        try PeerWire.decode(bytes, limits: limits ?? self.limits(), receiver: receiver)
    }

    /// `message` for `partition`, from node 1 to node 2.
    static func message(_ partition: UInt32, _ message: Message) -> PartitionMessage {
        PartitionMessage(partition: PartitionID(partition), envelope: Envelope(from: NodeID(1), to: NodeID(2), message: message))
    }

    /// Frames of `term` from IrisLog offset `base` on, `recordCounts[i]` records in frame i,
    /// CRC-chained as a log holds them; zstd-compressed when asked (the values repeat, so
    /// compression takes).
    static func chainedFrames(term: UInt64, base: UInt64, recordCounts: [Int], compression: Codec = .none) throws -> [SealedFrame] {
        var frames: [SealedFrame] = []
        var offset = base
        for count in recordCounts {
            let records = (0..<count).map { index in
                Record(value: [UInt8](repeating: UInt8(truncatingIfNeeded: offset + UInt64(index)), count: 40),
                       key: index % 2 == 0 ? [7, 7] : nil)
            }
            let batch = try EncodedBatch(records: records, timestampMicroseconds: 1_700_000_000_000_000,
                                         compression: compression, compressionThresholdBytes: 64)
            frames.append(batch.sealed(baseOffset: Offset(offset), term: Term(term), previousCRC: frames.last?.crc ?? 0))
            offset += UInt64(count)
        }
        return frames
    }

    /// One message of every kind, over several partitions; the AppendRequest carries plain,
    /// multi-record and compressed frames, and a heartbeat carries none.
    static func everyKind() throws -> [PartitionMessage] {
        let plain = try chainedFrames(term: 3, base: 10, recordCounts: [1, 4])
        let compressed = try chainedFrames(term: 4, base: 15, recordCounts: [6], compression: .zstd)
        let frames = plain + [try rechained(compressed[0], after: plain[1])]
        return [
            message(0, .voteRequest(VoteRequest(isPreVote: true, term: Term(5), lastLogOffset: LogEnd(9), lastLogTerm: Term(4)))),
            message(1, .voteResponse(VoteResponse(isPreVote: false, term: Term(5), granted: true))),
            message(2, .appendRequest(AppendRequest(
                term: Term(4), prevLogOffset: LogEnd(10), prevLogTerm: Term(2), frames: frames, commitOffset: LogEnd(11)))),
            message(15, .appendRequest(AppendRequest(
                term: Term(4), prevLogOffset: LogEnd(21), prevLogTerm: Term(4), frames: [], commitOffset: LogEnd(21)))),
            message(2, .appendResponse(AppendResponse(term: Term(4), success: true, matchOffset: LogEnd(21)))),
            message(9, .appendResponse(AppendResponse(
                term: Term(6), success: false, matchOffset: .zero, rejectedPrevLogOffset: LogEnd(30),
                hintOffset: LogEnd(12), hintTerm: Term(3)))),
        ]
    }

    /// `frame` with its previous CRC set to `previous`'s CRC (its CRC recomputed).
    static func rechained(_ frame: SealedFrame, after previous: SealedFrame) throws -> SealedFrame {
        var bytes = frame.bytes
        withUnsafeBytes(of: previous.crc.littleEndian) { bytes.replaceSubrange(40..<44, with: $0) }
        withUnsafeBytes(of: CRC32C.checksum(bytes[8...]).littleEndian) { bytes.replaceSubrange(4..<8, with: $0) }
        return try SealedFrame(validating: bytes)
    }

    /// `bytes` with the length field and the CRC recomputed, so a change gets past both.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        guard bytes.count >= 8 else { return bytes }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: bytes.count - 4).littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: CRC32C.checksum(bytes[8...]).littleEndian) { bytes.replaceSubrange(4..<8, with: $0) }
        return bytes
    }

    /// `bytes` with the little-endian `value` stored at `position`, then resealed unless told not to.
    static func patched<T: FixedWidthInteger>(_ bytes: [UInt8], at position: Int, _ value: T, reseal: Bool = true) -> [UInt8] {
        var bytes = bytes
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(position..<position + MemoryLayout<T>.size, with: $0) }
        return reseal ? resealed(bytes) : bytes
    }
}

/// Bytes from hex digits; whitespace and `//` comments to the end of a line are ignored, so a
/// golden encoding can be written one field per line.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.split(separator: "\n").map { line in
        line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }.joined().filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "whole bytes")
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        guard let byte = UInt8(digits[index..<next], radix: 16) else { preconditionFailure("hex digits only") }
        bytes.append(byte)
        index = next
    }
    return bytes
}
