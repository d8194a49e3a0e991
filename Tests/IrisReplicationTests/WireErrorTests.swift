import IrisLog
import IrisReplication
import Testing

/// SPEC.md §9.5.6: every way a peer frame can be refused, each with its own typed reason.
/// Positions in a one-message frame: 0 length, 4 CRC, 8 version, 10 kind, 12 cluster, 20
/// sender, 28 recipient, 36 message count, 40 partition, 44 tag, 45 body length, 49 body.
@Suite("Peer wire errors")
struct WireErrorTests {
    let voteRequest = WireFixture.message(7, .voteRequest(VoteRequest(
        isPreVote: true, term: Term(5), lastLogOffset: LogEnd(9), lastLogTerm: Term(4))))
    let voteResponse = WireFixture.message(7, .voteResponse(VoteResponse(isPreVote: false, term: Term(5), granted: true)))

    var voteRequestFrame: [UInt8] { PeerWire.encodeMessages(WireFixture.header, [voteRequest]) }
    var hello: [UInt8] { PeerWire.encodeHello(WireFixture.header) }

    /// The golden AppendRequest: body at 49, frame count at 73, frame length at 77, the sealed
    /// frame at 81..<136, commitOffset at 136.
    func appendRequestFrame() throws -> [UInt8] {
        let frame = try EncodedBatch(records: [Record(value: [0xAB])], timestampMicroseconds: 1_000)
            .sealed(baseOffset: Offset(4), term: Term(2), previousCRC: 0)
        let request = AppendRequest(term: Term(2), prevLogOffset: LogEnd(4), prevLogTerm: Term(1), frames: [frame], commitOffset: LogEnd(4))
        return PeerWire.encodeMessages(WireFixture.header, [WireFixture.message(3, .appendRequest(request))])
    }

    func expect(
        _ expected: PeerWireError, decoding bytes: [UInt8], limits: PeerWireLimits? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let limits = try limits ?? WireFixture.limits()
        #expect(throws: expected, sourceLocation: sourceLocation) {
            try PeerWire.decode(bytes, limits: limits, receiver: WireFixture.receiver)
        }
        #expect(!expected.description.isEmpty)
    }

    @Test func aConnectionThatIsNotAPeersIsRefusedByItsPreamble() {
        let client = Array("IRSC".utf8) + [1, 0, 0, 0]
        #expect(throws: PeerWireError.notPeerPreamble(client)) { try PeerWire.validatePreamble(client) }
        #expect(throws: PeerWireError.notPeerPreamble([0x49, 0x52])) { try PeerWire.validatePreamble([0x49, 0x52]) }
        #expect(throws: PeerWireError.unsupportedPreambleVersion(2)) {
            try PeerWire.validatePreamble(PeerWire.preambleMagic + [2, 0, 0, 0])
        }
        #expect(PeerWireError.notPeerPreamble(client).description.contains("49 52 53 43 01 00 00 00"))
    }

    @Test func aLengthOutOfRangeIsRefusedBeforeTheFrameIsBuffered() throws {
        let limits = try WireFixture.limits()
        let maximum = limits.peerFrameBytesMax - 4
        for length in [UInt32(0), 31, UInt32(maximum + 1), .max] {
            let bytes = WireFixture.patched(hello, at: 0, length, reseal: false)
            let expected = PeerWireError.lengthOutOfRange(length: length, minimum: 32, maximum: maximum)
            #expect(throws: expected) { try PeerWire.frameLength(prefix: bytes.prefix(4), limits: limits) }
            try expect(expected, decoding: bytes)
        }
    }

    @Test func aDamagedByteFailsTheChecksum() throws {
        var bytes = voteRequestFrame
        bytes[40] ^= 0x01
        let stored = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
        try expect(.checksumMismatch(stored: stored, computed: CRC32C.checksum(bytes[8...])), decoding: bytes)
    }

    @Test func unknownVersionsAndKindsAreRefused() throws {
        try expect(.unknownVersion(2), decoding: WireFixture.patched(hello, at: 8, UInt16(2)))
        try expect(.unknownVersion(0), decoding: WireFixture.patched(hello, at: 8, UInt16(0)))
        try expect(.unknownKind(3), decoding: WireFixture.patched(hello, at: 10, UInt16(3)))
        try expect(.unknownKind(0), decoding: WireFixture.patched(hello, at: 10, UInt16(0)))
    }

    @Test func framesOfAnotherClusterAreRefused() throws {
        let other = PeerFrameHeader(clusterID: ClusterID(0x99), from: NodeID(1), to: NodeID(2))
        try expect(.clusterMismatch(received: ClusterID(0x99), expected: WireFixture.cluster), decoding: PeerWire.encodeHello(other))
    }

    @Test func framesFromNonMembersOrFromItselfAreRefused() throws {
        for sender in [NodeID(9), NodeID(2), NodeID(0)] {
            let header = PeerFrameHeader(clusterID: WireFixture.cluster, from: sender, to: NodeID(2))
            try expect(.unknownSender(sender), decoding: PeerWire.encodeHello(header))
        }
    }

    @Test func framesForAnotherNodeAreRefused() throws {
        let header = PeerFrameHeader(clusterID: WireFixture.cluster, from: NodeID(1), to: NodeID(3))
        try expect(.wrongRecipient(received: NodeID(3), expected: NodeID(2)), decoding: PeerWire.encodeHello(header))
    }

    @Test func aPartitionOutsideTheClusterIsRefused() throws {
        for partition in [UInt32(16), .max] {
            let message = WireFixture.message(partition, voteRequest.envelope.message)
            try expect(.partitionOutOfRange(partition: PartitionID(partition), partitionCount: 16),
                       decoding: PeerWire.encodeMessages(WireFixture.header, [message]))
        }
    }

    @Test func moreMessagesThanTheLimitAreRefused() throws {
        let bytes = PeerWire.encodeMessages(WireFixture.header, [voteRequest, voteRequest, voteResponse])
        try expect(.tooManyMessages(count: 3, maximum: 2), decoding: bytes, limits: try WireFixture.limits(messagesPerPeerFrameMax: 2))
        try expect(.tooManyMessages(count: .max, maximum: 65_536), decoding: WireFixture.patched(bytes, at: 36, UInt32.max))
    }

    @Test func countsAndLengthsBeyondTheFrameAreRefused() throws {
        // The frame is shorter than its length field says.
        try expect(.fieldBeyondEnd(field: "frame", position: 4, bytesNeeded: 70, bytesLeft: 69),
                   decoding: Array(voteRequestFrame.dropLast()))
        // A length field cut short.
        try expect(.fieldBeyondEnd(field: "length", position: 0, bytesNeeded: 4, bytesLeft: 3), decoding: [0x20, 0, 0])
        // Five messages announced, 34 bytes left: not even their prefixes fit.
        try expect(.fieldBeyondEnd(field: "messages", position: 40, bytesNeeded: 45, bytesLeft: 34),
                   decoding: WireFixture.patched(voteRequestFrame, at: 36, UInt32(5)))
        // Two announced, one there.
        try expect(.fieldBeyondEnd(field: "message partition", position: 74, bytesNeeded: 4, bytesLeft: 0),
                   decoding: WireFixture.patched(voteRequestFrame, at: 36, UInt32(2)))
        // A body longer than the frame, and one too short for its fields.
        try expect(.fieldBeyondEnd(field: "message body", position: 49, bytesNeeded: 26, bytesLeft: 25),
                   decoding: WireFixture.patched(voteRequestFrame, at: 45, UInt32(26)))
        try expect(.fieldBeyondEnd(field: "message body", position: 49, bytesNeeded: UInt64(UInt32.max), bytesLeft: 25),
                   decoding: WireFixture.patched(voteRequestFrame, at: 45, UInt32.max))
        try expect(.fieldBeyondEnd(field: "VoteRequest.lastLogTerm", position: 66, bytesNeeded: 8, bytesLeft: 7),
                   decoding: WireFixture.patched(voteRequestFrame, at: 45, UInt32(24)))
        // An AppendRequest announcing more frames than its body can hold, or a longer frame.
        let append = try appendRequestFrame()
        try expect(.fieldBeyondEnd(field: "AppendRequest.frames", position: 77, bytesNeeded: 104, bytesLeft: 67),
                   decoding: WireFixture.patched(append, at: 73, UInt32(2)))
        try expect(.fieldBeyondEnd(field: "AppendRequest.frames", position: 77, bytesNeeded: UInt64(UInt32.max) * 52, bytesLeft: 67),
                   decoding: WireFixture.patched(append, at: 73, UInt32.max))
        try expect(.fieldBeyondEnd(field: "AppendRequest frame", position: 81, bytesNeeded: 64, bytesLeft: 63),
                   decoding: WireFixture.patched(append, at: 77, UInt32(64)))
    }

    @Test func bytesAfterTheLastFieldAreRefused() throws {
        try expect(.trailingBytes(after: "frame", position: 74, count: 1), decoding: voteRequestFrame + [0])
        try expect(.trailingBytes(after: "HELLO header", position: 36, count: 1), decoding: WireFixture.resealed(hello + [0]))
        try expect(.trailingBytes(after: "the last message", position: 74, count: 2), decoding: WireFixture.resealed(voteRequestFrame + [0, 0]))
        let response = PeerWire.encodeMessages(WireFixture.header, [voteResponse])
        try expect(.trailingBytes(after: "VoteResponse", position: 59, count: 1),
                   decoding: WireFixture.patched(response + [0], at: 45, UInt32(11)))
    }

    @Test func aBooleanOtherThanZeroOrOneIsRefused() throws {
        try expect(.invalidBoolean(field: "VoteRequest.isPreVote", position: 49, value: 2),
                   decoding: WireFixture.patched(voteRequestFrame, at: 49, UInt8(2)))
        let response = PeerWire.encodeMessages(WireFixture.header, [voteResponse])
        try expect(.invalidBoolean(field: "VoteResponse.granted", position: 58, value: 0xFF),
                   decoding: WireFixture.patched(response, at: 58, UInt8(0xFF)))
    }

    /// SPEC.md §9.5.3: each frame is checked with `SealedFrame(validating:)`.
    @Test func aDamagedSealedFrameInsideAnAppendRequestIsRefused() throws {
        var bytes = try appendRequestFrame()
        bytes[81 + 53] ^= 0x10  // inside the record: the sealed frame's own CRC no longer matches
        let limits = try WireFixture.limits()
        do throws(PeerWireError) {
            let frame = try PeerWire.decode(WireFixture.resealed(bytes), limits: limits, receiver: WireFixture.receiver)
            Issue.record("decoded \(frame)")
        } catch {
            guard case .invalidSealedFrame(let partition, let index, let reason) = error else { Issue.record("\(error)"); return }
            #expect(partition == PartitionID(3) && index == 0)
            #expect(reason.contains("CRC mismatch"), "\(reason)")
        }
        // A frame length below the 48-byte frame header.
        let short = WireFixture.patched(try appendRequestFrame(), at: 77, UInt32(8))
        #expect(throws: PeerWireError.self) { try WireFixture.decode(short) }
    }

    /// SPEC.md §9.5.5: the structural checks a message shows on its own, the same ones the core applies.
    @Test(arguments: [
        (Message.voteRequest(VoteRequest(isPreVote: false, term: Term(0), lastLogOffset: .zero, lastLogTerm: Term(0))), MessageDefect.termZero),
        (.voteRequest(VoteRequest(isPreVote: false, term: Term(3), lastLogOffset: LogEnd(9), lastLogTerm: Term(0))), .lastLogInvalid),
        (.voteResponse(VoteResponse(isPreVote: false, term: Term(1 << 63), granted: false)), .termImplausible),
        (.appendResponse(AppendResponse(term: Term(0), success: true, matchOffset: LogEnd(3))), .termZero),
        (.appendResponse(AppendResponse(
            term: Term(4), success: false, matchOffset: .zero, rejectedPrevLogOffset: LogEnd(3), hintOffset: LogEnd(4))),
         .hintAfterRejectedOffset),
        (.appendRequest(AppendRequest(term: Term(2), prevLogOffset: LogEnd(5), prevLogTerm: Term(1), frames: [entry(2, 5)],
                                      commitOffset: .zero)), .framesNotContiguous),
        (.appendRequest(AppendRequest(term: Term(2), prevLogOffset: LogEnd(4), prevLogTerm: Term(3), frames: [entry(2, 5)],
                                      commitOffset: .zero)), .prevLogTermInvalid),
        (.appendRequest(AppendRequest(term: Term(2), prevLogOffset: LogEnd(4), prevLogTerm: Term(1),
                                      frames: [entry(2, 5, [UInt8](repeating: 1, count: 5_000))], commitOffset: .zero)), .frameTooLarge),
    ])
    func aMessageWithADefectIsRefused(message: Message, defect: MessageDefect) throws {
        let bytes = PeerWire.encodeMessages(WireFixture.header, [WireFixture.message(5, message)])
        try expect(.invalidMessage(partition: PartitionID(5), defect: defect), decoding: bytes)
    }

    @Test func anAppendRequestOverTheMessageLimitIsRefused() throws {
        let frames = try WireFixture.chainedFrames(term: 2, base: 4, recordCounts: [20, 20, 20])
        let request = AppendRequest(term: Term(2), prevLogOffset: LogEnd(4), prevLogTerm: Term(1), frames: frames, commitOffset: .zero)
        let bytes = PeerWire.encodeMessages(WireFixture.header, [WireFixture.message(5, .appendRequest(request))])
        let limits = try PeerWireLimits(partitionCount: 16, frameBytesMax: 2_048, messageBytesMax: 2_048)
        #expect(frames.allSatisfy { $0.bytes.count <= 2_048 } && frames.reduce(0) { $0 + $1.bytes.count } > 2_048)
        try expect(.invalidMessage(partition: PartitionID(5), defect: .messageTooLarge), decoding: bytes, limits: limits)
    }

    /// SPEC.md §9.5: a message of an unknown type is dropped (its length is known), not the frame.
    @Test func messagesOfAnUnknownTypeAreSkippedAndCounted() throws {
        let bytes = PeerWire.encodeMessages(WireFixture.header, [voteRequest, voteResponse, voteRequest])
        // The second message starts at 40 + 9 + 25 = 74; its tag is at 78. Its partition is
        // out of range too: an unknown message is skipped unread.
        let unknown = WireFixture.patched(WireFixture.patched(bytes, at: 78, UInt8(9)), at: 74, UInt32.max)
        let frame = try WireFixture.decode(unknown)
        #expect(frame.body == .messages([voteRequest, voteRequest]))
        #expect(frame.skippedMessageCount == 1)
        let onlyUnknown = try WireFixture.decode(WireFixture.patched(voteRequestFrame, at: 44, UInt8(0)))
        #expect(onlyUnknown.body == .messages([]) && onlyUnknown.skippedMessageCount == 1)
    }
}
