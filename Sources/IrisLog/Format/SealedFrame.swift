/// A frame exactly as a log stores it: header, records, CRC, and the CRC of the frame before
/// it in its log. Replication moves frames between logs byte for byte: a follower appends with
/// `Log.append(frames:)` the frames the leader read with `Log.readFrames(from:maxBytes:)` (or
/// sealed with `EncodedBatch.sealed(baseOffset:term:previousCRC:)`).
public struct SealedFrame: Sendable, Hashable {
    /// The frame's bytes: the 48-byte header and the stored payload, without alignment padding.
    public let bytes: [UInt8]
    let header: FrameHeader

    /// Checks bytes received from elsewhere (length, CRC, magic, version, codec, offsets) and
    /// wraps them. The records themselves are checked by `records()` and when a log appends them.
    ///
    /// - Throws: `LogError.invalidFrame` naming the defect.
    public init(validating bytes: [UInt8]) throws(LogError) {
        do {
            header = try bytes.withBytes { (buffer) throws(FrameDefect) in
                try FrameDecoder.validate(buffer, frameBytesMax: FrameHeader.lengthMax)
            }
        } catch {
            throw .invalidFrame(reason: error.description)
        }
        guard Int(header.length) == bytes.count else {
            throw .invalidFrame(reason: "\(bytes.count) bytes given for a frame of \(header.length) bytes")
        }
        self.bytes = bytes
    }

    /// Wraps bytes already checked by `FrameDecoder.validate`, trimmed to `header.length`.
    init(checked bytes: [UInt8], header: FrameHeader) {
        precondition(bytes.count == Int(header.length), "a sealed frame holds exactly its length")
        self.bytes = bytes
        self.header = header
    }

    /// Offset of the frame's first record.
    public var baseOffset: Offset { header.baseOffset }
    /// The offset after the frame's last record.
    public var nextOffset: Offset { header.nextOffset }
    /// The number of records in the frame (at least 1).
    public var recordCount: Int { Int(header.recordCount) }
    /// The replication term the frame was written in (0 for a standalone log).
    public var term: Term { header.term }
    /// The frame's CRC32C; the next frame in the log carries it as `previousCRC`.
    public var crc: UInt32 { header.crc }
    /// The CRC of the frame before this one in its log (0 for a log's first frame).
    public var previousCRC: UInt32 { header.previousCRC }
    /// The first record's timestamp, microseconds since the Unix epoch.
    public var baseTimestampMicroseconds: Int64 { header.baseTimestamp }
    /// Bytes the frame occupies in a segment, alignment padding included.
    public var storedBytes: Int { header.paddedLength }

    /// Decodes the frame's records, decompressing the payload if needed.
    ///
    /// - Throws: `LogError.invalidFrame` when the record encoding is damaged.
    public func records() throws(LogError) -> [LogRecord] {
        do {
            return try bytes.withBytes { (buffer) throws(FrameDefect) in try FrameDecoder.records(buffer, header: header) }
        } catch {
            throw .invalidFrame(reason: error.description)
        }
    }

    /// Frames are equal when their bytes are: same records, offsets, term and chain.
    public static func == (lhs: SealedFrame, rhs: SealedFrame) -> Bool { lhs.bytes == rhs.bytes }
    /// Hashes the frame's bytes, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
}
