/// Records encoded (and compressed when asked) as the body of a frame that has no place in a
/// log yet. A replicated log's shell encodes a client's records once, off the consensus path;
/// the leader then seals the batch at the end of its log with `sealed(baseOffset:term:previousCRC:)`.
public struct EncodedBatch: Sendable {
    let frame: EncodedFrame

    /// Encodes `records`; records without a timestamp get `timestampMicroseconds`.
    ///
    /// With `compression: .zstd` the payload is compressed at `compressionLevel` when it is at
    /// least `compressionThresholdBytes` long and compression makes it smaller; otherwise it is
    /// stored as is. The defaults match `LogConfiguration`'s.
    ///
    /// - Throws: `.emptyBatch` for no records.
    public init(
        records: [Record], timestampMicroseconds: Int64, compression: Codec = .none,
        compressionLevel: Int32 = 3, compressionThresholdBytes: Int = 512
    ) throws(LogError) {
        guard !records.isEmpty else { throw .emptyBatch }
        frame = EncodedFrame(
            records: records, term: Term(0), now: timestampMicroseconds, codec: compression,
            compressionLevel: compressionLevel, compressionThresholdBytes: compressionThresholdBytes)
    }

    /// The number of records in the batch.
    public var recordCount: Int { Int(frame.recordCount) }
    /// Length of the sealed frame (header and stored payload).
    public var frameBytes: Int { frame.length }

    /// The frame as it goes into a log at `baseOffset`, written in `term`, chained to the
    /// frame before it (`previousCRC`, 0 at the start of a log).
    public func sealed(baseOffset: Offset, term: Term, previousCRC: UInt32) -> SealedFrame {
        var bytes = Array(frame.bytes[0..<frame.length])
        bytes.withUnsafeMutableBytes { buffer in
            ByteCoding.store(baseOffset.rawValue, buffer, at: 16)
            ByteCoding.store(term.rawValue, buffer, at: 24)
            ByteCoding.store(previousCRC, buffer, at: 40)
            ByteCoding.store(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[8...])), buffer, at: 4)
        }
        let header = bytes.withUnsafeBytes { FrameHeader.parse($0)! }
        return SealedFrame(checked: bytes, header: header)
    }
}
