import IrisClientProtocol
import IrisLog
import Testing

/// SPEC.md §12.2-12.5: frame layout and every message kind, checked against bytes written
/// from the SPEC tables by an independent encoder (Python, CRC32C computed bit by bit).
@Suite struct ClientCodecTests {
    static let limits = ClientProtocolLimits()

    static let golden: [String: String] = [
        "append": "45000000e6bbfee707000000000000000100030000008877665544332211050000000000000002000000010000006b02000000686901000100680100000076ffffffff000000000000",
        "read": "22000000eccb265907000000000000000200010000002a0000000000000000100000fa000000",
        "follow": "1e000000adc9b31f07000000000000000300020000000a0000000000000000000100",
        "followAck": "0e0000002e1e2cd607000000000000000400",
        "status": "0e00000059868ec507000000000000000500",
        "appended": "1a000000ad951ec307000000000000000180640000000000000002000000",
        "notLeader": "26000000faa20f0b0700000000000000028002000000000000000e003132372e302e302e313a37313031",
        "overloaded": "0e00000013ecb72e07000000000000000380",
        "tooLarge": "0e0000005625da5407000000000000000480",
        "outcomeUnknown": "0e00000021bd784707000000000000000580",
        "unknownPartition": "0e000000b8159f7307000000000000000680",
        "sequenceTooOld": "0e000000cf8d3d6007000000000000000780",
        "unavailable": "18000000c22a08020700000000000000088008007374617274696e67",
        "records": "3d000000f30a6aa4070000000000000009800800000000000000010000000700000000000000030000000000000000401e18240a0600ffffffff01000000780000",
        "statusAnswer": "6a00000038fd0cf007000000000000000a8001000000000000000200000001000000000000000300613a3102000000000000000300623a32010000000000000001000000000000000300613a31040000000000000011000000000000000201000000000000000200000000000000",
    ]

    static let requests: [(String, ClientRequest)] = [
        ("append", .append(AppendRequest(partition: 3, producerID: 0x1122_3344_5566_7788, sequence: 5, records: [
            Record(value: Array("hi".utf8), key: Array("k".utf8), headers: [RecordHeader(name: "h", value: Array("v".utf8))]),
            Record(value: []),
        ]))),
        ("read", .read(ReadRequest(partition: 1, from: Offset(42), maxBytes: 4096, waitMilliseconds: 250))),
        ("follow", .follow(FollowRequest(partition: 2, from: Offset(10), maxBytes: 65_536))),
        ("followAck", .followAck),
        ("status", .status),
    ]

    static let answers: [(String, ClientAnswer)] = [
        ("appended", .appended(firstOffset: Offset(100), count: 2)),
        ("notLeader", .notLeader(LeaderHint(nodeID: 2, address: "127.0.0.1:7101"))),
        ("overloaded", .overloaded),
        ("tooLarge", .tooLarge),
        ("outcomeUnknown", .outcomeUnknown),
        ("unknownPartition", .unknownPartition),
        ("sequenceTooOld", .sequenceTooOld),
        ("unavailable", .unavailable(reason: "starting")),
        ("records", .records(RecordBatch(records: [
            LogRecord(offset: Offset(7), timestampMicroseconds: 1_700_000_000_000_000, key: nil, value: Array("x".utf8), headers: [], term: Term(3)),
        ], nextOffset: Offset(8)))),
        ("statusAnswer", .status(ClusterStatus(nodeID: 1, nodes: [NodeAddress(nodeID: 1, address: "a:1"), NodeAddress(nodeID: 2, address: "b:2")], partitions: [
            PartitionStatus(partition: 0, leaderNodeID: 1, leaderAddress: "a:1", term: Term(4), commitEnd: LogEnd(17), replicas: [1, 2]),
        ]))),
    ]

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    @Test("every request kind encodes to the SPEC's bytes and decodes back", arguments: requests.map(\.0))
    func requestGolden(name: String) throws {
        let request = try #require(Self.requests.first { $0.0 == name }?.1)
        let encoded = ClientFrameCodec.encode(ClientFrame(requestID: 7, message: request))
        #expect(Self.hex(encoded) == Self.golden[name])
        #expect(try ClientFrameCodec.decodeRequest(encoded, limits: Self.limits) == ClientFrame(requestID: 7, message: request))
        #expect(throws: ClientProtocolError.unexpectedKind(UInt16(encoded[16]) | UInt16(encoded[17]) << 8)) {
            try ClientFrameCodec.decodeAnswer(encoded, limits: Self.limits)
        }
    }

    @Test("every answer kind encodes to the SPEC's bytes and decodes back", arguments: answers.map(\.0))
    func answerGolden(name: String) throws {
        let answer = try #require(Self.answers.first { $0.0 == name }?.1)
        let encoded = ClientFrameCodec.encode(ClientFrame(requestID: 7, message: answer))
        #expect(Self.hex(encoded) == Self.golden[name])
        #expect(try ClientFrameCodec.decodeAnswer(encoded, limits: Self.limits) == ClientFrame(requestID: 7, message: answer))
        #expect(throws: ClientProtocolError.self) { try ClientFrameCodec.decodeRequest(encoded, limits: Self.limits) }
    }

    @Test("the preamble is IRSC version 1")
    func preamble() {
        #expect(Self.hex(ClientPreamble.bytes) == "4952534301000000")
    }

    @Test("frame lengths below the header or above the limit are refused before buffering")
    func frameSizeBounds() throws {
        #expect(throws: ClientProtocolError.frameTooShort(length: 13)) { try ClientFrameCodec.frameSize(lengthField: 13, limits: Self.limits) }
        #expect(try ClientFrameCodec.frameSize(lengthField: 14, limits: Self.limits) == 18)
        let small = ClientProtocolLimits(frameBytesMax: 1_024)
        #expect(throws: ClientProtocolError.frameTooLarge(length: 1_021, max: 1_024)) { try ClientFrameCodec.frameSize(lengthField: 1_021, limits: small) }
        #expect(try ClientFrameCodec.frameSize(lengthField: 1_020, limits: small) == 1_024)
    }

    /// Re-seals `rest` (request ID, kind and body) with a correct length and CRC, so a
    /// test reaches the body decoder.
    static func sealed(_ rest: [UInt8]) -> [UInt8] {
        var writerBytes: [UInt8] = []
        let length = UInt32(rest.count + 4)
        let crc = crc32c(rest)
        for index in 0..<4 { writerBytes.append(UInt8(truncatingIfNeeded: length >> (8 * index))) }
        for index in 0..<4 { writerBytes.append(UInt8(truncatingIfNeeded: crc >> (8 * index))) }
        return writerBytes + rest
    }

    /// Bitwise CRC32C, independent of the library's.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    @Test("each malformed frame gets its own typed error")
    func errorCases() throws {
        let status = Self.bytes(Self.golden["status"]!)
        let idAndKind = Array(status[8...])
        var damaged = status
        damaged[10] ^= 1
        #expect(throws: ClientProtocolError.checksumMismatch(stored: 0xC58E_8659, computed: Self.crc32c(Array(damaged[8...])))) {
            try ClientFrameCodec.decodeRequest(damaged, limits: Self.limits)
        }
        #expect(throws: ClientProtocolError.truncated(field: "frame")) { try ClientFrameCodec.decodeRequest(Array(status.dropLast()), limits: Self.limits) }
        #expect(throws: ClientProtocolError.trailingBytes(count: 1)) { try ClientFrameCodec.decodeRequest(status + [0], limits: Self.limits) }
        #expect(throws: ClientProtocolError.unknownKind(9)) { try ClientFrameCodec.decodeRequest(Self.sealed(Array(idAndKind[..<8]) + [9, 0]), limits: Self.limits) }
        #expect(throws: ClientProtocolError.trailingBytes(count: 2)) { try ClientFrameCodec.decodeRequest(Self.sealed(idAndKind + [0, 0]), limits: Self.limits) }
        let read = Self.bytes(Self.golden["read"]!)
        #expect(throws: ClientProtocolError.truncated(field: "wait milliseconds")) {
            try ClientFrameCodec.decodeRequest(Self.sealed(Array(read[8..<(read.count - 1)])), limits: Self.limits)
        }
        // A record count far beyond the bytes present is refused before any allocation.
        let append = Array(idAndKind[..<8]) + [1, 0] + [3, 0, 0, 0] + [UInt8](repeating: 0, count: 16) + [0xFF, 0xFF, 0, 0]
        #expect(throws: ClientProtocolError.truncated(field: "record count")) { try ClientFrameCodec.decodeRequest(Self.sealed(append), limits: Self.limits) }
        let tooMany = ClientProtocolLimits(recordsMax: 2)
        let three = Array(idAndKind[..<8]) + [1, 0] + [3, 0, 0, 0] + [UInt8](repeating: 0, count: 16) + [3, 0, 0, 0]
        #expect(throws: ClientProtocolError.limitExceeded(field: "record count", value: 3, max: 2)) { try ClientFrameCodec.decodeRequest(Self.sealed(three), limits: tooMany) }
        // A reason that is not UTF-8, and one longer than the string limit.
        let badReason = Array(idAndKind[..<8]) + [0x08, 0x80, 2, 0, 0xC3, 0x28]
        #expect(throws: ClientProtocolError.invalidUTF8(field: "reason")) { try ClientFrameCodec.decodeAnswer(Self.sealed(badReason), limits: Self.limits) }
        let longReason = Array(idAndKind[..<8]) + [0x08, 0x80, 0x00, 0x20] + [UInt8](repeating: 0x61, count: 8_192)
        #expect(throws: ClientProtocolError.limitExceeded(field: "reason length", value: 8_192, max: 4_096)) {
            try ClientFrameCodec.decodeAnswer(Self.sealed(longReason), limits: Self.limits)
        }
    }

    @Test("a client refuses a batch the server's limits would refuse")
    func appendCheck() {
        let request = AppendRequest(partition: 0, producerID: 1, sequence: 1, records: [Record(value: [UInt8](repeating: 1, count: 2_000))])
        #expect(throws: ClientProtocolError.self) { try request.check(limits: ClientProtocolLimits(frameBytesMax: 1_024)) }
        #expect(throws: Never.self) { try request.check(limits: ClientProtocolLimits()) }
        let encoded = ClientFrameCodec.encode(ClientFrame(requestID: 1, message: .append(request)))
        #expect(throws: ClientProtocolError.self) { try ClientFrameCodec.decodeRequest(encoded, limits: ClientProtocolLimits(frameBytesMax: 1_024)) }
    }

    @Test("20,000 seeded mutations of valid frames never trap; what decodes re-encodes to the same bytes")
    func mutations() {
        var generator = SplitMix64(seed: 0x1215)
        let seeds = Self.golden.values.sorted().map(Self.bytes)
        var decoded = 0
        for round in 0..<20_000 {
            var frame = seeds[round % seeds.count]
            for _ in 0...(generator.next() % 4) {
                let choice = generator.next() % 4
                let position = Int(generator.next() % UInt64(frame.count))
                switch choice {
                case 0: frame[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: frame.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                case 2: if frame.count > 1 { frame.remove(at: position) }
                default: frame[position] ^= 0xFF
                }
            }
            // Half the time re-seal, so mutations reach the body decoders past length and CRC.
            if round % 2 == 0 && frame.count >= 8 { frame = Self.sealed(Array(frame[8...])) }
            if let request = try? ClientFrameCodec.decodeRequest(frame, limits: Self.limits) {
                decoded += 1
                #expect(ClientFrameCodec.encode(request) == frame)
            }
            if let answer = try? ClientFrameCodec.decodeAnswer(frame, limits: Self.limits) {
                decoded += 1
                #expect(ClientFrameCodec.encode(answer) == frame)
            }
        }
        #expect(decoded > 100, "mutations should leave some frames valid: \(decoded)")
    }
}

/// A seeded generator (SplitMix64), so a failing mutation round replays.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
