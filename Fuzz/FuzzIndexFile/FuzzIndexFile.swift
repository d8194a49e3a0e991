import CIrisSystem
import IrisLog

/// libFuzzer target: `IndexFile.decode` on an arbitrary index file (SPEC.md §4).
///
/// Each input is tried as is and with its footer CRC recomputed (so mutations reach the
/// checks behind it), for a segment base of 0 and one just below the footer's next offset.
/// Invariants on success: the entries strictly increase in both fields, are aligned and below
/// dataEnd, every entry's offset is below nextOffset, lookups stay inside the data, and
/// encoding the decoded index gives back the file byte for byte (when the reserved footer
/// word is zero, as the spec requires).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    checkIndex(raw)
    if size >= IndexFile.footerSize {
        var fixed = raw
        fixed.withUnsafeMutableBytes { bytes in
            let crc = iris_crc32c(0, bytes.baseAddress!, bytes.count - 4)
            bytes.storeBytes(of: crc.littleEndian, toByteOffset: bytes.count - 4, as: UInt32.self)
        }
        checkIndex(fixed)
    }
    return 0
}

private func checkIndex(_ bytes: [UInt8]) {
    var bases = [Offset(0)]
    if bytes.count >= IndexFile.footerSize {
        let next = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: bytes.count - 40, as: UInt64.self)) }
        bases.append(Offset(next &- 1))
    }
    for base in bases {
        guard let (index, summary) = try? IndexFile.decode(bytes, baseOffset: base, intervalBytes: 4096) else { continue }
        let footer = bytes.count - IndexFile.footerSize
        precondition(footer >= 0 && footer % 8 == 0 && index.entries.count == footer / 8)
        precondition(summary.baseOffset == base && summary.nextOffset > base && summary.dataEnd > 0)
        var previous: UInt64? = nil
        for entry in index.entries {
            let position = Int(entry & 0xFFFF_FFFF)
            precondition(position % 8 == 0 && position < summary.dataEnd, "entry position \(position) invalid")
            precondition(base.rawValue.addingReportingOverflow(entry >> 32).partialValue < summary.nextOffset.rawValue)
            if let previous {
                precondition(previous >> 32 < entry >> 32 && previous & 0xFFFF_FFFF < entry & 0xFFFF_FFFF, "entries not increasing")
            }
            previous = entry
        }
        for offset in [base, summary.nextOffset.rawValue > base.rawValue ? Offset(summary.nextOffset.rawValue - 1) : base] {
            let position = index.position(before: offset)
            precondition(position >= 0 && position < summary.dataEnd)
        }
        let reservedZero = bytes[footer + 28..<footer + 32].allSatisfy { $0 == 0 }
        if reservedZero {
            precondition(IndexFile.encode(index, summary: summary) == bytes, "re-encoded index differs from the file")
        }
    }
}
