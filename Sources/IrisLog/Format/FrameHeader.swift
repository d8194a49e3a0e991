/// The fixed 48-byte little-endian header that starts every frame; SPEC.md §3.2.
///
/// ```
/// 0  u32 length            header + stored payload, excluding alignment padding
/// 4  u32 crc               CRC32C of bytes [8, length)
/// 8  u16 magic             0x4952
/// 10 u8  version           1
/// 11 u8  attributes        bits 0-2: codec (0 none, 1 zstd); other bits 0
/// 12 u32 recordCount       >= 1
/// 16 u64 baseOffset        offset of the first record
/// 24 u64 term
/// 32 i64 baseTimestamp     microseconds since the Unix epoch
/// 40 u32 previousCRC       crc of the frame before this one in the log (0 for the first)
/// 44 u32 uncompressedLength payload length before compression
/// ```
package struct FrameHeader: Hashable, Sendable {
    package static let size = 48
    static let magic: UInt16 = 0x4952
    static let version: UInt8 = 1
    /// Frames start at multiples of this, so a length field never straddles a sector.
    static let alignment = 8
    /// The largest frame any reader accepts: a segment's size limit. The configured
    /// `batchBytesMax` bounds only what this process writes, so a log written with larger
    /// batches stays readable under any configuration.
    package static let lengthMax = 1 << 30

    package var length: UInt32
    package var crc: UInt32
    package var codec: Codec
    package var recordCount: UInt32
    package var baseOffset: Offset
    package var term: Term
    package var baseTimestamp: Int64
    package var previousCRC: UInt32
    package var uncompressedLength: UInt32

    /// The offset after the frame's last record.
    package var nextOffset: Offset { baseOffset.advanced(by: UInt64(recordCount)) }
    /// Bytes the frame occupies in a segment, padding included.
    package var paddedLength: Int { FrameHeader.padded(Int(length)) }

    package static func padded(_ length: Int) -> Int { (length + alignment - 1) & ~(alignment - 1) }

    /// Writes the header into the first 48 bytes of `bytes`.
    func store(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= FrameHeader.size)
        ByteCoding.store(length, bytes, at: 0)
        ByteCoding.store(crc, bytes, at: 4)
        ByteCoding.store(FrameHeader.magic, bytes, at: 8)
        bytes[10] = FrameHeader.version
        bytes[11] = codec.rawValue
        ByteCoding.store(recordCount, bytes, at: 12)
        ByteCoding.store(baseOffset.rawValue, bytes, at: 16)
        ByteCoding.store(term.rawValue, bytes, at: 24)
        ByteCoding.store(UInt64(bitPattern: baseTimestamp), bytes, at: 32)
        ByteCoding.store(previousCRC, bytes, at: 40)
        ByteCoding.store(uncompressedLength, bytes, at: 44)
    }

    /// Parses a header without checking the CRC; nil when magic, version or codec are unknown.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> FrameHeader? {
        guard bytes.count >= size,
              ByteCoding.loadUInt16(bytes, at: 8) == magic,
              bytes[10] == version,
              let codec = Codec(rawValue: bytes[11]) else { return nil }
        return FrameHeader(
            length: ByteCoding.loadUInt32(bytes, at: 0),
            crc: ByteCoding.loadUInt32(bytes, at: 4),
            codec: codec,
            recordCount: ByteCoding.loadUInt32(bytes, at: 12),
            baseOffset: Offset(ByteCoding.loadUInt64(bytes, at: 16)),
            term: Term(ByteCoding.loadUInt64(bytes, at: 24)),
            baseTimestamp: Int64(bitPattern: ByteCoding.loadUInt64(bytes, at: 32)),
            previousCRC: ByteCoding.loadUInt32(bytes, at: 40),
            uncompressedLength: ByteCoding.loadUInt32(bytes, at: 44))
    }
}

/// How a frame's payload is stored.
public enum Codec: UInt8, Sendable, CaseIterable {
    /// Stored as encoded (codec 0 in the header's attribute bits).
    case none = 0
    /// Compressed with zstd (codec 1); the header keeps the uncompressed length.
    case zstd = 1
}
