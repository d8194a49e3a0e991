/// The on-disk form of a sealed segment's index; SPEC.md §4.
///
/// Entries (8 bytes each: u32 relative offset, u32 position, little-endian) then a 48-byte
/// footer: u32 magic 0x58495249, u32 entry count, u64 next offset, u64 data end, u32 last CRC,
/// u32 zero, i64 max timestamp, u32 version 1, u32 CRC32C of every byte before it.
package enum IndexFile {
    static let magic: UInt32 = 0x5849_5249
    package static let footerSize = 48

    package static func encode(_ index: OffsetIndex, summary: SegmentSummary) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: index.count * 8 + footerSize)
        bytes.withUnsafeMutableBytes { buffer in
            for (number, entry) in index.entries.enumerated() {
                ByteCoding.store(UInt32(entry >> 32), buffer, at: number * 8)
                ByteCoding.store(UInt32(entry & 0xFFFF_FFFF), buffer, at: number * 8 + 4)
            }
            let footer = index.count * 8
            ByteCoding.store(magic, buffer, at: footer)
            ByteCoding.store(UInt32(index.count), buffer, at: footer + 4)
            ByteCoding.store(summary.nextOffset.rawValue, buffer, at: footer + 8)
            ByteCoding.store(UInt64(summary.dataEnd), buffer, at: footer + 16)
            ByteCoding.store(summary.lastCRC, buffer, at: footer + 24)
            ByteCoding.store(UInt64(bitPattern: summary.maxTimestamp), buffer, at: footer + 32)
            ByteCoding.store(UInt32(1), buffer, at: footer + 40)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<footer + 44]))
            ByteCoding.store(crc, buffer, at: footer + 44)
        }
        return bytes
    }

    /// Decodes an index file of the segment starting at `baseOffset`; nil when damaged in any way.
    package static func decode(_ bytes: [UInt8], baseOffset: Offset, intervalBytes: Int) -> (OffsetIndex, SegmentSummary)? {
        guard bytes.count >= footerSize, (bytes.count - footerSize) % 8 == 0 else { return nil }
        return bytes.withUnsafeBytes { buffer -> (OffsetIndex, SegmentSummary)? in
            let footer = bytes.count - footerSize
            guard ByteCoding.loadUInt32(buffer, at: footer) == magic,
                  ByteCoding.loadUInt32(buffer, at: footer + 40) == 1,
                  ByteCoding.loadUInt32(buffer, at: footer + 28) == 0,  // reserved: a later version's field
                  Int(ByteCoding.loadUInt32(buffer, at: footer + 4)) == footer / 8,
                  ByteCoding.loadUInt32(buffer, at: footer + 44)
                    == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<footer + 44])) else { return nil }
            let dataEnd = ByteCoding.loadUInt64(buffer, at: footer + 16)
            let nextOffset = Offset(ByteCoding.loadUInt64(buffer, at: footer + 8))
            guard dataEnd > 0, dataEnd <= UInt64(UInt32.max), nextOffset > baseOffset else { return nil }
            let entries = (0..<footer / 8).map {
                UInt64(ByteCoding.loadUInt32(buffer, at: $0 * 8)) << 32 | UInt64(ByteCoding.loadUInt32(buffer, at: $0 * 8 + 4))
            }
            guard let index = OffsetIndex(baseOffset: baseOffset, intervalBytes: intervalBytes, packedEntries: entries, dataEnd: Int(dataEnd)),
                  entries.last.map({ ($0 >> 32) < nextOffset.rawValue - baseOffset.rawValue }) ?? true else { return nil } // no overflow: nextOffset > baseOffset (found by FuzzIndexFile)
            let summary = SegmentSummary(
                baseOffset: baseOffset, nextOffset: nextOffset, dataEnd: Int(dataEnd),
                lastCRC: ByteCoding.loadUInt32(buffer, at: footer + 24),
                maxTimestamp: Int64(bitPattern: ByteCoding.loadUInt64(buffer, at: footer + 32)))
            return (index, summary)
        }
    }
}
