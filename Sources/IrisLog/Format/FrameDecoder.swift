/// Checks and decodes frames read from a segment; SPEC.md §3.2 and §3.3.
package enum FrameDecoder {
    /// Validates the frame at the start of `bytes` (which may hold more data after it):
    /// length within limits, bytes present, CRC, magic, version, codec.
    /// Chain and offset checks are the caller's, since they need the previous frame.
    package static func validate(_ bytes: UnsafeRawBufferPointer, frameBytesMax: Int) throws(FrameDefect) -> FrameHeader {
        guard bytes.count >= FrameHeader.size else { throw .truncated(needed: FrameHeader.size, available: bytes.count) }
        let length = ByteCoding.loadUInt32(bytes, at: 0)
        guard Int(length) >= FrameHeader.size, Int(length) <= frameBytesMax else { throw .badLength(length) }
        guard Int(length) <= bytes.count else { throw .truncated(needed: Int(length), available: bytes.count) }
        let stored = ByteCoding.loadUInt32(bytes, at: 4)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[8..<Int(length)]))
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        guard let header = FrameHeader.parse(bytes), header.recordCount >= 1 else { throw .badHeader }
        // Offsets past 2^64 - 1 would trap in `nextOffset` and in the record decoder (found by FuzzFrameDecoder).
        guard header.baseOffset.rawValue <= UInt64.max - UInt64(header.recordCount) else {
            throw .outOfSequence("base offset \(header.baseOffset) plus \(header.recordCount) records overflows 64 bits")
        }
        guard Int(header.uncompressedLength) <= frameBytesMax else {
            throw .badRecord(index: 0, reason: "uncompressed length \(header.uncompressedLength) above the frame limit")
        }
        guard header.codec != .none || Int(header.uncompressedLength) == Int(length) - FrameHeader.size else {
            throw .badRecord(index: 0, reason: "uncompressed length differs from stored length")
        }
        return header
    }

    /// Decodes the records of a frame that passed `validate`.
    package static func records(_ bytes: UnsafeRawBufferPointer, header: FrameHeader) throws(FrameDefect) -> [LogRecord] {
        let stored = UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.size..<Int(header.length)])
        switch header.codec {
        case .none:
            return try RecordCodec.decode(
                stored, count: Int(header.recordCount), baseOffset: header.baseOffset,
                baseTimestamp: header.baseTimestamp, term: header.term)
        case .zstd:
            let payload = try Compression.decompress(stored, uncompressedLength: Int(header.uncompressedLength))
            return try payload.withBytes { (payload) throws(FrameDefect) in
                try RecordCodec.decode(
                    payload, count: Int(header.recordCount), baseOffset: header.baseOffset,
                    baseTimestamp: header.baseTimestamp, term: header.term)
            }
        }
    }

    /// Decodes the records of a frame that passed `validate`, which `frame` holds from its
    /// start, as slices of `frame` (uncompressed) or of its decompressed payload, appending
    /// them to `records`.
    package static func slices(_ frame: [UInt8], header: FrameHeader, into records: inout [RecordSlice]) throws(FrameDefect) {
        switch header.codec {
        case .none:
            try RecordCodec.decodeSlices(
                frame, payload: FrameHeader.size..<Int(header.length), count: Int(header.recordCount), baseOffset: header.baseOffset,
                baseTimestamp: header.baseTimestamp, term: header.term, into: &records)
        case .zstd:
            let payload = try frame.withBytes { (bytes) throws(FrameDefect) in
                try Compression.decompress(
                    UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.size..<Int(header.length)]),
                    uncompressedLength: Int(header.uncompressedLength))
            }
            try RecordCodec.decodeSlices(
                payload, payload: 0..<payload.count, count: Int(header.recordCount), baseOffset: header.baseOffset,
                baseTimestamp: header.baseTimestamp, term: header.term, into: &records)
        }
    }

    /// Checks every record of a frame that passed `validate` (`frame` holds it from its start),
    /// then calls `body` with a view of each, in order, until it returns false. The views point
    /// into `frame`, or into its decompressed payload, and `layouts` is scratch space kept
    /// between frames. Returns whether `body` asked for more.
    package static func views(
        _ frame: UnsafeRawBufferPointer, header: FrameHeader, layouts: inout [RecordCodec.RecordLayout],
        _ body: (RecordView) -> Bool
    ) throws(FrameDefect) -> Bool {
        let stored = UnsafeRawBufferPointer(rebasing: frame[FrameHeader.size..<Int(header.length)])
        switch header.codec {
        case .none:
            return try payloadViews(stored, header: header, layouts: &layouts, body)
        case .zstd:
            let payload = try Compression.decompress(stored, uncompressedLength: Int(header.uncompressedLength))
            return try payload.withBytes { (payload) throws(FrameDefect) in try payloadViews(payload, header: header, layouts: &layouts, body) }
        }
    }

    private static func payloadViews(
        _ payload: UnsafeRawBufferPointer, header: FrameHeader, layouts: inout [RecordCodec.RecordLayout],
        _ body: (RecordView) -> Bool
    ) throws(FrameDefect) -> Bool {
        try RecordCodec.layouts(
            payload, count: Int(header.recordCount), baseOffset: header.baseOffset, baseTimestamp: header.baseTimestamp, into: &layouts)
        for layout in layouts {
            let view = RecordView(
                offset: layout.offset, timestampMicroseconds: layout.timestampMicroseconds,
                key: layout.key.map { UnsafeRawBufferPointer(rebasing: payload[$0]) },
                value: UnsafeRawBufferPointer(rebasing: payload[layout.value]), headers: layout.headers, term: header.term)
            guard body(view) else { return false }
        }
        return true
    }
}
