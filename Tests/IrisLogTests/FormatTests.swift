import CIrisSystem
import Testing
@testable import IrisLog

struct FormatTests {
    @Test func crc32cMatchesTheCheckValueOnBothPaths() {
        let check = Array("123456789".utf8)
        #expect(CRC32C.checksum(check) == 0xE306_9283)
        #expect(check.withUnsafeBytes { iris_crc32c_portable(0, $0.baseAddress, $0.count) } == 0xE306_9283)
        var random = SplitMix64(seed: 7)
        for length in [0, 1, 7, 8, 9, 63, 64, 1000, 4097] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let hardware = bytes.withUnsafeBytes { iris_crc32c(0, $0.baseAddress, $0.count) }
            let portable = bytes.withUnsafeBytes { iris_crc32c_portable(0, $0.baseAddress, $0.count) }
            #expect(hardware == portable, "length \(length)")
            let split = length / 3
            let continued = CRC32C.checksum(Array(bytes[split...]), continuing: CRC32C.checksum(Array(bytes[..<split])))
            #expect(continued == hardware, "continuing at \(split) of \(length)")
        }
    }

    @Test(arguments: [UInt64(0), 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), UInt64.max])
    func varintRoundTrips(value: UInt64) {
        var bytes: [UInt8] = []
        ByteCoding.appendVarint(value, to: &bytes)
        #expect(bytes.count == ByteCoding.varintSize(value))
        let decoded = bytes.withUnsafeBytes { buffer -> UInt64? in
            var reader = ByteReader(buffer)
            return reader.readVarint()
        }
        #expect(decoded == value)
    }

    @Test func zigzagRoundTripsAndOrdersSmallMagnitudesFirst() {
        #expect([0, -1, 1, -2, 2].map { ByteCoding.zigzag($0) } == [0, 1, 2, 3, 4])
        for value: Int64 in [.min, -1_000_000, -1, 0, 1, 1 << 40, .max] {
            #expect(ByteCoding.unzigzag(ByteCoding.zigzag(value)) == value)
        }
    }

    @Test func overlongVarintIsRejected() {
        let bytes = [UInt8](repeating: 0xFF, count: 11)
        let decoded = bytes.withUnsafeBytes { buffer -> UInt64? in
            var reader = ByteReader(buffer)
            return reader.readVarint()
        }
        #expect(decoded == nil)
    }

    static let sampleRecords: [Record] = [
        Record(value: []),
        Record(value: Array("hello".utf8), key: Array("user-1".utf8), timestampMicroseconds: 1_700_000_000_000_000),
        Record(value: [0, 255, 1], key: [], headers: [RecordHeader(name: "h", value: [9]), RecordHeader(name: "é", value: [])],
               timestampMicroseconds: 1_699_999_999_000_000),
        Record(value: payload(3, size: 5000)),
    ]

    @Test(arguments: Codec.allCases)
    func frameRoundTripsRecordsExactly(codec: Codec) throws {
        let frame = EncodedFrame(records: Self.sampleRecords, term: Term(9), now: 1_700_000_000_000_123, codec: codec,
                                 compressionLevel: 3, compressionThresholdBytes: 0)
        let (bytes, crc) = frame.sealed(baseOffset: Offset(42), previousCRC: 0xDEAD_BEEF)
        #expect(frame.paddedLength % 8 == 0)
        let header = try bytes.withBytes { (buffer) throws(FrameDefect) in
            try FrameDecoder.validate(buffer, frameBytesMax: 1 << 20)
        }
        #expect(header.baseOffset == Offset(42) && header.previousCRC == 0xDEAD_BEEF && header.term == Term(9))
        #expect(header.codec == codec)
        #expect(header.crc == crc)
        let records = try bytes.withBytes { (buffer) throws(FrameDefect) in try FrameDecoder.records(buffer, header: header) }
        #expect(records.count == Self.sampleRecords.count)
        for (index, (record, original)) in zip(records, Self.sampleRecords).enumerated() {
            #expect(record.offset == Offset(42 + UInt64(index)))
            #expect(record.value == original.value && record.key == original.key && record.headers == original.headers)
            #expect(record.timestampMicroseconds == original.timestampMicroseconds ?? 1_700_000_000_000_123)
            #expect(record.term == Term(9))
        }
    }

    @Test func compressionIsSkippedWhenItDoesNotHelp() {
        let random = EncodedFrame(records: [Record(value: (0..<2000).map { _ in UInt8.random(in: 0...255) })], term: Term(0),
                                  now: 0, codec: .zstd, compressionLevel: 3, compressionThresholdBytes: 0)
        #expect(random.bytes[11] == Codec.none.rawValue)
        let repetitive = EncodedFrame(records: [Record(value: [UInt8](repeating: 7, count: 2000))], term: Term(0),
                                      now: 0, codec: .zstd, compressionLevel: 3, compressionThresholdBytes: 0)
        #expect(repetitive.bytes[11] == Codec.zstd.rawValue)
        #expect(repetitive.paddedLength < 200)
    }

    @Test func everySingleBitFlipInAFrameIsDetected() {
        let frame = EncodedFrame(records: Array(Self.sampleRecords.prefix(3)), term: Term(1), now: 5, codec: .none,
                                 compressionLevel: 3, compressionThresholdBytes: 0)
        let (bytes, _) = frame.sealed(baseOffset: Offset(0), previousCRC: 0)
        for position in 0..<frame.length {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[position] ^= UInt8(1 << bit)
                let result = damaged.withUnsafeBytes { buffer in
                    Result { () throws(FrameDefect) in try FrameDecoder.validate(buffer, frameBytesMax: 1 << 20) }
                }
                if case .success = result { Issue.record("flip at byte \(position) bit \(bit) passed validation") }
            }
        }
    }

    @Test func malformedPayloadsAreTypedErrorsNotCrashes() {
        let cases: [[UInt8]] = [[], [5], [3, 0, 0, 0], [2, 1, 0], [4, 0, 0, 0, 9], [10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]
        for payload in cases {
            let result = payload.withUnsafeBytes { buffer in
                Result { () throws(FrameDefect) in
                    try RecordCodec.decode(buffer, count: 1, baseOffset: Offset(0), baseTimestamp: 0, term: Term(0))
                }
            }
            guard case .failure = result else { Issue.record("payload \(payload) decoded"); continue }
        }
    }

    @Test func segmentNamesAreTwentyDigitBaseOffsets() {
        #expect(SegmentFileName.segment(Offset(1234)) == "00000000000000001234.log")
        #expect(SegmentFileName.index(Offset(0)) == "00000000000000000000.index")
        #expect(SegmentFileName.baseOffset(of: "00000000000000001234.log", extension: ".log") == Offset(1234))
        #expect(SegmentFileName.baseOffset(of: "1234.log", extension: ".log") == nil)
        #expect(SegmentFileName.baseOffset(of: "0000000000000000123x.log", extension: ".log") == nil)
        #expect(SegmentFileName.baseOffset(of: "00000000000000001234.index", extension: ".log") == nil)
    }
}
