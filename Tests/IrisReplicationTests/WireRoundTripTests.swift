import IrisLog
import IrisReplication
import Testing

/// SPEC.md §9.5.6: what a node encodes, its peer decodes to the same values, and sealed frames
/// cross byte for byte.
@Suite("Peer wire round trips")
struct WireRoundTripTests {
    @Test func preambleIsIRSPThenVersionOne() throws {
        #expect(PeerWire.preamble == [0x49, 0x52, 0x53, 0x50, 0x01, 0x00, 0x00, 0x00])
        try PeerWire.validatePreamble(PeerWire.preamble)
    }

    @Test func helloDecodesToItsHeader() throws {
        let bytes = PeerWire.encodeHello(WireFixture.header)
        #expect(bytes.count == PeerWire.headerBytes)
        #expect(try WireFixture.decode(bytes) == PeerFrame(header: WireFixture.header, body: .hello))
    }

    @Test func everyMessageKindDecodesToWhatWasEncoded() throws {
        let messages = try WireFixture.everyKind()
        let bytes = PeerWire.encodeMessages(WireFixture.header, messages)
        #expect(bytes.count == PeerWire.headerBytes + 4 + messages.reduce(0) { $0 + PeerWire.encodedBytes(of: $1) })
        let decoded = try WireFixture.decode(bytes)
        #expect(decoded == PeerFrame(header: WireFixture.header, body: .messages(messages)))
        #expect(decoded.skippedMessageCount == 0)
    }

    @Test(arguments: 0..<6)
    func eachMessageAloneDecodesToItself(index: Int) throws {
        let message = try WireFixture.everyKind()[index]
        let bytes = PeerWire.encodeMessages(WireFixture.header, [message])
        #expect(try WireFixture.decode(bytes).body == .messages([message]))
    }

    @Test func sealedFramesCrossByteForByteAndStillDecode() throws {
        let messages = try WireFixture.everyKind()
        guard case .appendRequest(let sent) = messages[2].envelope.message else { Issue.record("fixture order"); return }
        #expect(sent.frames.contains { $0.bytes[11] == Codec.zstd.rawValue }, "the fixture includes a compressed frame")
        let decoded = try WireFixture.decode(PeerWire.encodeMessages(WireFixture.header, messages))
        guard case .messages(let received) = decoded.body, case .appendRequest(let request) = received[2].envelope.message else {
            Issue.record("expected the AppendRequest back"); return
        }
        #expect(request.frames.map(\.bytes) == sent.frames.map(\.bytes))
        #expect(try request.frames.map { try $0.records() } == sent.frames.map { try $0.records() })
        #expect(zip(request.frames.dropFirst(), request.frames).allSatisfy { $0.previousCRC == $1.crc }, "the chain survives")
    }

    /// One frame per node pair carries every partition's heartbeat (SPEC.md §9.5.6).
    @Test func heartbeatsOfManyPartitionsShareOneFrame() throws {
        let limits = try PeerWireLimits(partitionCount: 4_096)
        let heartbeats = (0..<4_096).map { partition in
            WireFixture.message(UInt32(partition), .appendRequest(AppendRequest(
                term: Term(7), prevLogOffset: LogEnd(UInt64(partition)), prevLogTerm: Term(partition == 0 ? 0 : 7),
                frames: [], commitOffset: LogEnd(UInt64(partition)))))
        }
        let bytes = PeerWire.encodeMessages(WireFixture.header, heartbeats)
        #expect(bytes.count == PeerWire.headerBytes + 4 + 4_096 * (9 + 36))
        #expect(try WireFixture.decode(bytes, limits: limits).body == .messages(heartbeats))
    }

    /// How a stream decoder (the NIO transport) cuts frames: ask `frameLength` how many bytes the
    /// next frame needs, wait for them, decode. Bytes arrive in chunks that cut fields apart.
    @Test func aStreamCutIntoChunksYieldsTheSameFrames() throws {
        let limits = try WireFixture.limits()
        let messages = try WireFixture.everyKind()
        let frames = [PeerWire.encodeHello(WireFixture.header)] + messages.map { PeerWire.encodeMessages(WireFixture.header, [$0]) }
            + [PeerWire.encodeMessages(WireFixture.header, messages)]
        let stream = frames.flatMap { $0 }
        for chunkBytes in [1, 3, 7, 64, stream.count] {
            var buffered: [UInt8] = []
            var cut: [[UInt8]] = []
            var position = 0
            while position < stream.count {
                let end = min(position + chunkBytes, stream.count)
                buffered += stream[position..<end]
                position = end
                while let needed = try PeerWire.frameLength(prefix: buffered, limits: limits), buffered.count >= needed {
                    cut.append(Array(buffered[..<needed]))
                    buffered.removeFirst(needed)
                }
            }
            #expect(cut == frames, "chunks of \(chunkBytes) bytes")
            #expect(buffered.isEmpty)
            #expect(try cut.map { try PeerWire.decode($0, limits: limits, receiver: WireFixture.receiver) }.count == frames.count)
        }
    }

    @Test func frameLengthWaitsForTheWholeLengthField() throws {
        let limits = try WireFixture.limits()
        let bytes = PeerWire.encodeHello(WireFixture.header)
        for count in 0..<PeerWire.lengthFieldBytes {
            #expect(try PeerWire.frameLength(prefix: bytes.prefix(count), limits: limits) == nil)
        }
        #expect(try PeerWire.frameLength(prefix: bytes.prefix(4), limits: limits) == bytes.count)
    }

    @Test func limitsRefuseAFrameTooSmallForTheLargestAppendRequest() throws {
        let needed = PeerWireLimits.peerFrameBytesNeeded(messageBytesMax: 16 * 1024)
        #expect(needed == 36 + 4 + 9 + 36 + 16 * 1024 + 4 * (16 * 1024 / 48))
        #expect(throws: ConfigurationError.valueTooSmall(setting: "peerFrameBytesMax", value: needed - 1, minimum: needed)) {
            try PeerWireLimits(partitionCount: 1, peerFrameBytesMax: needed - 1)
        }
        #expect(throws: ConfigurationError.valueTooSmall(setting: "partitionCount", value: 0, minimum: 1)) {
            try PeerWireLimits(partitionCount: 0)
        }
        #expect(throws: ConfigurationError.valueTooSmall(setting: "messageBytesMax", value: 4_095, minimum: 8_192)) {
            try PeerWireLimits(partitionCount: 1, frameBytesMax: 8_192, messageBytesMax: 4_095)
        }
        _ = try PeerWireLimits(partitionCount: 1, peerFrameBytesMax: needed)
    }

    /// The largest AppendRequest the limits allow (as many minimal frames as fit in
    /// messageBytesMax) fits a frame of `peerFrameBytesNeeded` bytes.
    @Test func theLargestAppendRequestFitsThePeerFrameLimit() throws {
        let smallest = try EncodedBatch(records: [Record(value: [])], timestampMicroseconds: 1)
        let messageBytesMax = 4 * 1024
        var frames: [SealedFrame] = []
        for index in 0..<messageBytesMax / smallest.frameBytes {
            frames.append(smallest.sealed(baseOffset: Offset(UInt64(index)), term: Term(1), previousCRC: frames.last?.crc ?? 0))
        }
        let request = AppendRequest(term: Term(1), prevLogOffset: .zero, prevLogTerm: .zero, frames: frames, commitOffset: .zero)
        let bytes = PeerWire.encodeMessages(WireFixture.header, [WireFixture.message(0, .appendRequest(request))])
        let needed = PeerWireLimits.peerFrameBytesNeeded(messageBytesMax: messageBytesMax)
        #expect(bytes.count <= needed)
        let limits = try PeerWireLimits(partitionCount: 1, messageBytesMax: messageBytesMax, peerFrameBytesMax: needed)
        #expect(try WireFixture.decode(bytes, limits: limits).body == .messages([WireFixture.message(0, .appendRequest(request))]))
    }
}
