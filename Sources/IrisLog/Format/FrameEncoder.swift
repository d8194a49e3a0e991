/// A frame built by a producer, complete except for its place in the log. The log assigns
/// `baseOffset` at admission; the writer copies the bytes into its group buffer with
/// `copySealed`, which fills in base offset, previous CRC and CRC there. The producer's bytes
/// are never mutated, so no copy-on-write happens under the log's lock.
struct EncodedFrame: Sendable {
    /// The frame's bytes including zeroed alignment padding; base offset, previous CRC and
    /// CRC are zero here.
    let bytes: [UInt8]
    let recordCount: UInt32
    let length: Int
    /// Bytes of the encoded records before compression.
    let payloadLength: Int
    /// Timestamp of the first record, the frame's timestamp.
    let baseTimestamp: Int64
    /// Assigned when the log admits the frame.
    var baseOffset = Offset(0)
    /// Set for a frame sealed elsewhere (replication): its bytes are final and go into the
    /// log unchanged; admission checks its offset and chain instead of assigning them.
    let presealed: (crc: UInt32, previousCRC: UInt32)?

    var paddedLength: Int { bytes.count }
    var nextOffset: Offset { baseOffset.advanced(by: UInt64(recordCount)) }

    /// Encodes `records` (at least one) into a frame payload, compressing it when asked and
    /// worthwhile. Uncompressed, the records are encoded straight into the frame's bytes:
    /// one allocation and one copy of each value.
    init(records: [Record], term: Term, now: Int64, codec: Codec, compressionLevel: Int32, compressionThresholdBytes: Int) {
        precondition(!records.isEmpty, "a frame holds at least one record")
        let baseTimestamp = records[0].timestampMicroseconds ?? now
        let timestamp = { (index: Int) in records[index].timestampMicroseconds ?? now }
        let payloadLength = RecordCodec.encodedSize(records, baseTimestamp: baseTimestamp, timestamp: timestamp)
        var header = FrameHeader(
            length: 0, crc: 0, codec: .none, recordCount: UInt32(records.count),
            baseOffset: Offset(0), term: term, baseTimestamp: baseTimestamp, previousCRC: 0,
            uncompressedLength: UInt32(payloadLength))
        var stored: [UInt8]? = nil
        if codec == .zstd, payloadLength >= compressionThresholdBytes {
            var payload: [UInt8] = []
            payload.reserveCapacity(payloadLength)
            RecordCodec.encode(records, timestamps: records.indices.map(timestamp), baseTimestamp: baseTimestamp, into: &payload)
            if let compressed = Compression.compress(payload, level: compressionLevel) {
                header.codec = .zstd
                stored = compressed
            }
        }
        let length = FrameHeader.size + (stored?.count ?? payloadLength)
        precondition(length <= Int(UInt32.max))
        header.length = UInt32(length)
        let paddedLength = FrameHeader.padded(length)
        self.bytes = [UInt8](unsafeUninitializedCapacity: paddedLength) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            // The header's unused bytes and the alignment padding are zero; the body is written below.
            UnsafeMutableRawBufferPointer(rebasing: raw[..<FrameHeader.size]).initializeMemory(as: UInt8.self, repeating: 0)
            UnsafeMutableRawBufferPointer(rebasing: raw[length...]).initializeMemory(as: UInt8.self, repeating: 0)
            header.store(into: raw)
            let body = UnsafeMutableRawBufferPointer(rebasing: raw[FrameHeader.size..<length])
            if let stored {
                stored.withUnsafeBytes { body.copyMemory(from: $0) }
            } else {
                var writer = ByteWriter(body)
                RecordCodec.encode(records, baseTimestamp: baseTimestamp, timestamp: timestamp, into: &writer)
                precondition(writer.position == payloadLength, "encodedSize and encode disagree")
            }
            initialized = paddedLength
        }
        self.recordCount = UInt32(records.count)
        self.length = length
        self.payloadLength = payloadLength
        self.baseTimestamp = baseTimestamp
        self.presealed = nil
    }

    /// A frame sealed elsewhere, to be stored byte for byte.
    init(sealed frame: SealedFrame) {
        var bytes = frame.bytes
        bytes.append(contentsOf: repeatElement(0, count: frame.storedBytes - frame.bytes.count))
        self.bytes = bytes
        self.recordCount = UInt32(frame.recordCount)
        self.length = frame.bytes.count
        self.payloadLength = Int(frame.header.uncompressedLength)
        self.baseTimestamp = frame.baseTimestampMicroseconds
        self.baseOffset = frame.baseOffset
        self.presealed = (frame.crc, frame.previousCRC)
    }

    /// Copies the frame into `destination` (at least `paddedLength` bytes) as it goes into the
    /// log: with its base offset, chained to `previousCRC`, and checksummed. Returns the CRC.
    func copySealed(into destination: UnsafeMutableRawBufferPointer, previousCRC: UInt32) -> UInt32 {
        precondition(destination.count >= paddedLength)
        bytes.withUnsafeBytes { destination.copyMemory(from: $0) }
        if let presealed {
            precondition(presealed.previousCRC == previousCRC, "admission let through a frame that does not chain")
            return presealed.crc
        }
        ByteCoding.store(baseOffset.rawValue, destination, at: 16)
        ByteCoding.store(previousCRC, destination, at: 40)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: destination[8..<length]))
        ByteCoding.store(crc, destination, at: 4)
        return crc
    }
}
