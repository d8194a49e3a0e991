/// A frame built by a producer, complete except for its place in the log: base offset,
/// previous CRC and CRC are filled in by `seal` when the log assigns offsets.
struct EncodedFrame: Sendable {
    /// The frame's bytes including zeroed alignment padding.
    private(set) var bytes: [UInt8]
    let recordCount: UInt32
    let length: Int
    /// Bytes of the encoded records before compression.
    let payloadLength: Int
    /// Timestamp of the first record, the frame's timestamp.
    let baseTimestamp: Int64
    private(set) var crc: UInt32 = 0
    private(set) var baseOffset = Offset(0)

    var paddedLength: Int { bytes.count }
    var nextOffset: Offset { baseOffset.advanced(by: UInt64(recordCount)) }

    /// Encodes `records` (at least one) into a frame payload, compressing it when asked and worthwhile.
    init(records: [Record], term: Term, now: Int64, codec: Codec, compressionLevel: Int32, compressionThresholdBytes: Int) {
        precondition(!records.isEmpty, "a frame holds at least one record")
        let timestamps = records.map { $0.timestampMicroseconds ?? now }
        let baseTimestamp = timestamps[0]
        var payload: [UInt8] = []
        payload.reserveCapacity(records.reduce(0) { $0 + $1.contentBytes + 16 })
        RecordCodec.encode(records, timestamps: timestamps, baseTimestamp: baseTimestamp, into: &payload)

        var storedCodec = Codec.none
        var stored = payload
        if codec == .zstd, payload.count >= compressionThresholdBytes,
           let compressed = Compression.compress(payload, level: compressionLevel) {
            storedCodec = .zstd
            stored = compressed
        }
        let length = FrameHeader.size + stored.count
        precondition(length <= Int(UInt32.max))
        var bytes = [UInt8](repeating: 0, count: FrameHeader.padded(length))
        let header = FrameHeader(
            length: UInt32(length), crc: 0, codec: storedCodec, recordCount: UInt32(records.count),
            baseOffset: Offset(0), term: term, baseTimestamp: baseTimestamp, previousCRC: 0,
            uncompressedLength: UInt32(payload.count))
        bytes.withUnsafeMutableBytes { buffer in
            header.store(into: buffer)
            stored.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: buffer[FrameHeader.size..<length]).copyMemory(from: source)
            }
        }
        self.bytes = bytes
        self.recordCount = UInt32(records.count)
        self.length = length
        self.payloadLength = payload.count
        self.baseTimestamp = baseTimestamp
    }

    /// Places the frame in the log: sets its base offset and previous CRC and computes its CRC.
    mutating func seal(baseOffset: Offset, previousCRC: UInt32) {
        self.baseOffset = baseOffset
        let length = self.length
        crc = bytes.withUnsafeMutableBytes { buffer in
            ByteCoding.store(baseOffset.rawValue, buffer, at: 16)
            ByteCoding.store(previousCRC, buffer, at: 40)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[8..<length]))
            ByteCoding.store(crc, buffer, at: 4)
            return crc
        }
    }
}
