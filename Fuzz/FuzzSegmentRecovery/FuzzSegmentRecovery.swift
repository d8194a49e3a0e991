import CIrisSystem
import IrisLog

/// libFuzzer target: an arbitrary byte string as the last segment file of a log, through
/// recovery's pure steps, `SegmentScan.scan` and `TailDecision.decide` (SPEC.md §6.1, §6.2).
///
/// Each input is tried twice: as is, and with every frame's CRC, base offset and previous-CRC
/// chain fixed up (walking the length fields), so mutations reach the checks behind the CRC.
/// The expected base offset and previous CRC are those of the first frame (a segment whose
/// file name matches its first frame).
///
/// Invariants: the valid frames are contiguous from the start, 8-byte aligned, chained and in
/// offset order; `validEnd <= count`; a defect lies at `validEnd`; with no defect, everything
/// after `validEnd` is zero; the decision follows SPEC.md §6.2 for several checkpoint and
/// window settings; scanning only the valid prefix, or the file after a torn tail is cut
/// (what recovery does), or resuming at any frame (what an index lookup does) finds the same
/// frames and nothing wrong.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    checkSegment(raw)
    if size >= FrameHeader.size {
        var copy = [UInt8](raw)
        copy.withUnsafeMutableBytes { fixUpChain($0) }
        copy.withUnsafeBytes { checkSegment($0) }
    }
    return 0
}

/// The frame limit readers and recovery apply (whatever the configuration), and the
/// unsynced window of a default configuration.
private let frameBytesMax = FrameHeader.lengthMax
private let defaultWindow = 2 * max(1 << 20, FrameHeader.padded(FrameHeader.size + (4 << 20) + 64))

private func load32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
}
private func load64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
    UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
}

private func fixUpChain(_ bytes: UnsafeMutableRawBufferPointer) {
    var position = 0
    var previous: (offset: UInt64, crc: UInt32)? = nil
    while position + FrameHeader.size <= bytes.count {
        let length = Int(load32(UnsafeRawBufferPointer(bytes), position))
        guard length >= FrameHeader.size, position + length <= bytes.count else { return }
        if let previous {
            bytes.storeBytes(of: previous.offset.littleEndian, toByteOffset: position + 16, as: UInt64.self)
            bytes.storeBytes(of: previous.crc.littleEndian, toByteOffset: position + 40, as: UInt32.self)
        }
        let crc = iris_crc32c(0, bytes.baseAddress! + position + 8, length - 8)
        bytes.storeBytes(of: crc.littleEndian, toByteOffset: position + 4, as: UInt32.self)
        let base = load64(UnsafeRawBufferPointer(bytes), position + 16)
        let count = UInt64(load32(UnsafeRawBufferPointer(bytes), position + 12))
        previous = (base &+ count, crc)
        position += FrameHeader.padded(length)
    }
}

private func checkSegment(_ bytes: UnsafeRawBufferPointer) {
    let expectedOffset = Offset(bytes.count >= 24 ? load64(bytes, 16) : 0)
    let expectedCRC: UInt32? = bytes.count >= 44 ? load32(bytes, 40) : nil
    let scan = SegmentScan.scan(bytes, expectedOffset: expectedOffset, expectedPreviousCRC: expectedCRC, frameBytesMax: frameBytesMax)

    // The valid prefix.
    precondition(scan.validEnd >= 0 && scan.validEnd <= bytes.count, "validEnd \(scan.validEnd) outside 0...\(bytes.count)")
    var position = 0
    var offset = expectedOffset
    var crc = expectedCRC
    var maxTimestamp = Int64.min
    for frame in scan.frames {
        precondition(frame.position == position && position % 8 == 0, "frames not contiguous at \(frame.position)")
        let header = frame.header
        precondition(Int(header.length) >= FrameHeader.size && position + Int(header.length) <= bytes.count)
        precondition(header.baseOffset == offset, "frame offset \(header.baseOffset), expected \(offset)")
        precondition(crc.map { $0 == header.previousCRC } ?? true, "frame chain broken")
        precondition(header.recordCount >= 1)
        offset = header.nextOffset
        crc = header.crc
        maxTimestamp = max(maxTimestamp, header.baseTimestamp)
        position = min(position + header.paddedLength, bytes.count)
        // Rule 6 is checked only when records are read; it must not crash either.
        _ = try? FrameDecoder.records(UnsafeRawBufferPointer(rebasing: bytes[frame.position...]), header: header)
    }
    precondition(scan.validEnd == position, "validEnd \(scan.validEnd) is not the end of the last frame \(position)")
    precondition(scan.nextOffset == offset && scan.lastCRC == crc && scan.maxTimestamp == maxTimestamp)
    let rest = UnsafeRawBufferPointer(rebasing: bytes[scan.validEnd...])
    if let defect = scan.defect {
        precondition(defect.position == scan.validEnd, "defect at \(defect.position), valid end \(scan.validEnd)")
        precondition(!SegmentScan.allZero(rest), "a defect in zero bytes")
    } else {
        precondition(SegmentScan.allZero(rest), "a clean end with data after it")
    }

    // The decision, for several checkpoint positions and windows.
    let aligned = (bytes.count / 2) & ~7
    for (isLast, synced, window) in [(true, 0, defaultWindow), (true, 0, 4096), (true, 0, 64), (false, 0, defaultWindow),
                                     (true, aligned, 4096), (true, scan.validEnd, 64), (true, scan.validEnd + 8, 4096)] {
        let decision = TailDecision.decide(scan: scan, bytes: bytes, isLastSegment: isLast, syncedPosition: synced, unsyncedWindowBytes: window)
        guard let defect = scan.defect else {
            if scan.validEnd < synced {
                guard case .corruption(scan.validEnd, _) = decision else { preconditionFailure("durable data missing but \(decision)") }
            } else {
                precondition(decision == .clean, "no defect but \(decision)")
            }
            continue
        }
        let windowEnd = min(bytes.count, defect.position + window)
        let torn = isLast && defect.position >= synced && looksTorn(bytes, at: defect.position, window: window)
            && SegmentScan.allZero(UnsafeRawBufferPointer(rebasing: bytes[windowEnd...]))
        if torn {
            precondition(decision == .tornTail(position: defect.position), "expected a torn tail at \(defect.position), got \(decision)")
        } else {
            precondition(decision == .corruption(position: defect.position, reason: defect.reason), "expected corruption, got \(decision)")
        }
    }

    // Recovery cuts a torn tail and zero-fills (truncate + preallocate): the next scan is clean
    // and finds the same frames. Scanning just the valid prefix gives the same.
    var cut = [UInt8](repeating: 0, count: bytes.count)
    cut.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<scan.validEnd])) }
    for prefix in [cut[...], cut[..<scan.validEnd]] {
        let again = prefix.withUnsafeBytes {
            SegmentScan.scan($0, expectedOffset: expectedOffset, expectedPreviousCRC: expectedCRC, frameBytesMax: frameBytesMax)
        }
        precondition(again.defect == nil && again.frames == scan.frames && again.validEnd == scan.validEnd, "rescan after the cut differs")
    }

    // Resuming at a frame (as a read located through the index does) finds the rest the same.
    for (number, frame) in scan.frames.enumerated() where number % 7 == 1 || number == scan.frames.count - 1 {
        let resumed = SegmentScan.scan(
            bytes, startPosition: frame.position, expectedOffset: frame.header.baseOffset,
            expectedPreviousCRC: frame.header.previousCRC, frameBytesMax: frameBytesMax)
        precondition(Array(resumed.frames) == Array(scan.frames[number...]) && resumed.validEnd == scan.validEnd
                        && resumed.defect?.position == scan.defect?.position, "scan resumed at frame \(number) differs")
    }
}

/// SPEC.md §6.2's torn-write evidence, written out again byte by byte as an oracle: the
/// frame's range (its length when 48 ... 2^30, else its header) has a piece between 512-byte
/// sector boundaries that is all zero, or runs past the end while at most half the window.
private func looksTorn(_ bytes: UnsafeRawBufferPointer, at position: Int, window: Int) -> Bool {
    let length = bytes.count - position >= 4 ? Int(load32(bytes, position)) : 0
    let claimed = (48...(1 << 30)).contains(length) ? length : 48
    if position + claimed > bytes.count { return claimed <= window / 2 }
    let end = position + claimed
    let boundaries = [position] + stride(from: (position / 512 + 1) * 512, to: end, by: 512) + [end]
    return zip(boundaries, boundaries.dropFirst()).contains { start, stop in bytes[start..<stop].allSatisfy { $0 == 0 } }
}
