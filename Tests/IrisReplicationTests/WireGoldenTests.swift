import IrisLog
import IrisReplication
import Testing

/// SPEC.md §9.5.6 and the message tables of §9.5.1-§9.5.4, byte for byte: each expected
/// encoding below was written field by field from the SPEC (little-endian throughout; CRCs
/// computed by an independent CRC32C), so the code and the SPEC cannot drift apart.
/// Every frame is from node 1 to node 2 of cluster 0x1122334455667788.
@Suite("Peer wire golden encodings")
struct WireGoldenTests {
    static let addressing = """
        8877665544332211    // clusterID 0x1122334455667788
        0100000000000000    // fromNode 1
        0200000000000000    // toNode 2
        """

    @Test func hello() throws {
        let expected = hexBytes("""
            20000000            // length 32: the bytes after this field
            b9e1f394            // CRC32C of every byte after the CRC field
            0100 0100           // version 1, kind 1 HELLO
            \(Self.addressing)
            """)
        #expect(PeerWire.encodeHello(WireFixture.header) == expected)
        #expect(try WireFixture.decode(expected).body == .hello)
    }

    @Test func voteRequest() throws {
        let expected = hexBytes("""
            46000000 8812be28   // length 70, CRC
            0100 0200           // version 1, kind 2 MESSAGES
            \(Self.addressing)
            01000000            // message count 1
            07000000 01         // partition 7, tag 1 VoteRequest
            19000000            // body length 25
            01                  // isPreVote true
            0500000000000000    // term 5
            0900000000000000    // lastLogOffset 9
            0400000000000000    // lastLogTerm 4
            """)
        let message = WireFixture.message(7, .voteRequest(VoteRequest(
            isPreVote: true, term: Term(5), lastLogOffset: LogEnd(9), lastLogTerm: Term(4))))
        try check(message, expected)
    }

    @Test func voteResponse() throws {
        let expected = hexBytes("""
            37000000 795bc88a   // length 55, CRC
            0100 0200           // version 1, kind 2 MESSAGES
            \(Self.addressing)
            01000000            // message count 1
            07000000 02         // partition 7, tag 2 VoteResponse
            0a000000            // body length 10
            00                  // isPreVote false
            0500000000000000    // term 5
            01                  // granted true
            """)
        try check(WireFixture.message(7, .voteResponse(VoteResponse(isPreVote: false, term: Term(5), granted: true))), expected)
    }

    @Test func appendRequest() throws {
        // The sealed frame, SPEC.md §3.1 and §3.3: one record holding 0xAB, at offset 4, term 2.
        let sealedFrame = hexBytes("""
            37000000 2eff40d1   // length 55, CRC
            5249 01 00          // magic 0x4952, version 1, attributes 0 (codec none)
            01000000            // recordCount 1
            0400000000000000    // baseOffset 4
            0200000000000000    // term 2
            e803000000000000    // baseTimestamp 1000
            0d0c0b0a            // previousCRC 0x0A0B0C0D
            07000000            // uncompressedLength 7
            06 00 00 00 01 ab 00  // bodyLength 6, offsetDelta, timestampDelta, no key, value length 1, 0xAB, no headers
            """)
        let frame = try EncodedBatch(records: [Record(value: [0xAB])], timestampMicroseconds: 1_000)
            .sealed(baseOffset: Offset(4), term: Term(2), previousCRC: 0x0A0B_0C0D)
        #expect(frame.bytes == sealedFrame)
        let expected = hexBytes("""
            8c000000 e172d4d7   // length 140, CRC
            0100 0200           // version 1, kind 2 MESSAGES
            \(Self.addressing)
            01000000            // message count 1
            03000000 03         // partition 3, tag 3 AppendRequest
            5f000000            // body length 95
            0200000000000000    // term 2
            0400000000000000    // prevLogOffset 4
            0100000000000000    // prevLogTerm 1
            01000000            // frame count 1
            37000000            // frame length 55, then the frame's bytes
            """) + sealedFrame + hexBytes("""
            0400000000000000    // commitOffset 4
            """)
        let request = AppendRequest(term: Term(2), prevLogOffset: LogEnd(4), prevLogTerm: Term(1), frames: [frame], commitOffset: LogEnd(4))
        try check(WireFixture.message(3, .appendRequest(request)), expected)
    }

    @Test func appendResponse() throws {
        let expected = hexBytes("""
            56000000 8548d1de   // length 86, CRC
            0100 0200           // version 1, kind 2 MESSAGES
            \(Self.addressing)
            01000000            // message count 1
            0f000000 04         // partition 15, tag 4 AppendResponse
            29000000            // body length 41
            0500000000000000    // term 5
            00                  // success false
            0000000000000000    // matchOffset 0
            0900000000000000    // rejectedPrevLogOffset 9
            0600000000000000    // hintOffset 6
            0300000000000000    // hintTerm 3
            """)
        let response = AppendResponse(
            term: Term(5), success: false, matchOffset: .zero, rejectedPrevLogOffset: LogEnd(9), hintOffset: LogEnd(6), hintTerm: Term(3))
        try check(WireFixture.message(15, .appendResponse(response)), expected)
    }

    private func check(_ message: PartitionMessage, _ expected: [UInt8]) throws {
        #expect(PeerWire.encodeMessages(WireFixture.header, [message]) == expected)
        #expect(try WireFixture.decode(expected).body == .messages([message]))
    }
}
