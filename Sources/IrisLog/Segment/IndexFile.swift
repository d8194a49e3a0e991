/// The on-disk form of a sealed segment's index; SPEC.md §4. The one encoder and the one
/// decoder of the layout: recovery (which rebuilds on any defect) and `iris-log verify`
/// (which reports it) both go through `decode`.
///
/// Entries (8 bytes each: u32 relative offset, u32 position, little-endian) then a 48-byte
/// footer: u32 magic 0x58495249, u32 entry count, u64 next offset, u64 data end, u32 last CRC,
/// u32 zero, i64 max timestamp, u32 version 1, u32 CRC32C of every byte before it.
package enum IndexFile {
    static let magic: UInt32 = 0x5849_5249
    static let version: UInt32 = 1
    static let entryBytes = 8
    package static let footerSize = 48

    /// A footer field, as its byte offset inside the footer.
    package enum Field: Int, Sendable {
        case magic = 0, entryCount = 4, nextOffset = 8, dataEnd = 16, lastCRC = 24, reserved = 28
        case maxTimestamp = 32, version = 40, crc = 44
    }

    /// Byte position of a footer field in an index file of `entryCount` entries.
    package static func position(of field: Field, entryCount: Int) -> Int { entryCount * entryBytes + field.rawValue }

    /// Byte position of entry number `entry`.
    package static func position(ofEntry entry: Int) -> Int { entry * entryBytes }

    /// The index file of a sealed segment: its index entries and its summary in the footer.
    package static func encode(_ index: OffsetIndex, summary: SegmentSummary) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: index.count * entryBytes + footerSize)
        bytes.withUnsafeMutableBytes { buffer in
            for (number, entry) in index.entries.enumerated() {
                ByteCoding.store(UInt32(entry >> 32), buffer, at: position(ofEntry: number))
                ByteCoding.store(UInt32(entry & 0xFFFF_FFFF), buffer, at: position(ofEntry: number) + 4)
            }
            func at(_ field: Field) -> Int { position(of: field, entryCount: index.count) }
            ByteCoding.store(magic, buffer, at: at(.magic))
            ByteCoding.store(UInt32(index.count), buffer, at: at(.entryCount))
            ByteCoding.store(summary.nextOffset.rawValue, buffer, at: at(.nextOffset))
            ByteCoding.store(UInt64(summary.dataEnd), buffer, at: at(.dataEnd))
            ByteCoding.store(summary.lastCRC, buffer, at: at(.lastCRC))
            ByteCoding.store(UInt64(bitPattern: summary.maxTimestamp), buffer, at: at(.maxTimestamp))
            ByteCoding.store(version, buffer, at: at(.version))
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<at(.crc)]))
            ByteCoding.store(crc, buffer, at: at(.crc))
        }
        return bytes
    }

    /// Decodes an index file of the segment starting at `baseOffset`.
    /// - Throws: the first defect found, with its byte position in the file: size, magic, CRC,
    ///   version, reserved word, entry count, next offset, data end, then each entry in order.
    package static func decode(
        _ bytes: [UInt8], baseOffset: Offset, intervalBytes: Int
    ) throws(IndexDefect) -> (OffsetIndex, SegmentSummary) {
        guard bytes.count >= footerSize, (bytes.count - footerSize) % entryBytes == 0 else {
            throw IndexDefect(position: 0, reason: "index file size \(bytes.count) is not 8 * entries + \(footerSize)")
        }
        let entryCount = (bytes.count - footerSize) / entryBytes
        return try bytes.withBytes { (buffer) throws(IndexDefect) in
            let summary = try decodeFooter(buffer, entryCount: entryCount, baseOffset: baseOffset)
            let entries = try decodeEntries(buffer, entryCount: entryCount, summary: summary)
            return (OffsetIndex(baseOffset: baseOffset, intervalBytes: intervalBytes, checkedEntries: entries), summary)
        }
    }

    private static func decodeFooter(
        _ buffer: UnsafeRawBufferPointer, entryCount: Int, baseOffset: Offset
    ) throws(IndexDefect) -> SegmentSummary {
        func at(_ field: Field) -> Int { position(of: field, entryCount: entryCount) }
        func defect(_ field: Field, _ reason: String) -> IndexDefect { IndexDefect(position: at(field), reason: reason) }
        guard ByteCoding.loadUInt32(buffer, at: at(.magic)) == magic else { throw defect(.magic, "bad index magic") }
        let stored = ByteCoding.loadUInt32(buffer, at: at(.crc))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<at(.crc)]))
        guard stored == computed else {
            throw defect(.crc, "index CRC mismatch: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))")
        }
        guard ByteCoding.loadUInt32(buffer, at: at(.version)) == version else { throw defect(.version, "unknown index version") }
        // Reserved: a later version's field, so a file that sets it is not one this build reads.
        guard ByteCoding.loadUInt32(buffer, at: at(.reserved)) == 0 else { throw defect(.reserved, "reserved index field is not zero") }
        guard Int(ByteCoding.loadUInt32(buffer, at: at(.entryCount))) == entryCount else {
            throw defect(.entryCount, "entry count differs from the file size")
        }
        let nextOffset = Offset(ByteCoding.loadUInt64(buffer, at: at(.nextOffset)))
        guard nextOffset > baseOffset else {
            throw defect(.nextOffset, "index says the segment ends before offset \(nextOffset), not after its base \(baseOffset)")
        }
        let dataEnd = ByteCoding.loadUInt64(buffer, at: at(.dataEnd))
        guard dataEnd > 0, dataEnd <= UInt64(UInt32.max) else { throw defect(.dataEnd, "index data end \(dataEnd) is out of range") }
        return SegmentSummary(
            baseOffset: baseOffset, nextOffset: nextOffset, dataEnd: Int(dataEnd),
            lastCRC: ByteCoding.loadUInt32(buffer, at: at(.lastCRC)),
            maxTimestamp: Int64(bitPattern: ByteCoding.loadUInt64(buffer, at: at(.maxTimestamp))))
    }

    /// The entries, packed as (relative offset << 32) | position: each increasing in both
    /// fields, at an aligned position inside the data, at an offset before the segment's next.
    private static func decodeEntries(
        _ buffer: UnsafeRawBufferPointer, entryCount: Int, summary: SegmentSummary
    ) throws(IndexDefect) -> [UInt64] {
        // No overflow: nextOffset > baseOffset (found by FuzzIndexFile).
        let relativeEnd = summary.nextOffset.rawValue - summary.baseOffset.rawValue
        var entries: [UInt64] = []
        entries.reserveCapacity(entryCount)
        for entry in 0..<entryCount {
            let relative = ByteCoding.loadUInt32(buffer, at: position(ofEntry: entry))
            let position = ByteCoding.loadUInt32(buffer, at: position(ofEntry: entry) + 4)
            func defect(_ reason: String) -> IndexDefect {
                IndexDefect(position: IndexFile.position(ofEntry: entry), reason: "index entry \(entry) \(reason)")
            }
            if let previous = entries.last, !(previous >> 32 < UInt64(relative) && previous & 0xFFFF_FFFF < UInt64(position)) {
                throw defect("does not increase")
            }
            guard Int(position) < summary.dataEnd, Int(position) % FrameHeader.alignment == 0 else {
                throw defect("(byte \(position)) is not an aligned position inside the data, which ends at \(summary.dataEnd)")
            }
            guard UInt64(relative) < relativeEnd else {
                throw defect("(offset \(summary.baseOffset.rawValue &+ UInt64(relative))) is not before the segment's next offset \(summary.nextOffset)")
            }
            entries.append(UInt64(relative) << 32 | UInt64(position))
        }
        return entries
    }
}

/// Why an index file cannot be used, and where: the byte position in the file of the field
/// or entry at fault. Recovery answers any defect by rebuilding the index from the segment;
/// `iris-log verify` reports it.
package struct IndexDefect: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte position in the index file.
    package var position: Int
    /// What is wrong, in words.
    package var reason: String

    package var description: String { "\(reason) (byte \(position))" }
}
