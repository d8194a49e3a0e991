import Testing
@testable import IrisLog

struct IndexAndCheckpointTests {
    /// Frames of varying sizes laid out as the writer does, with the index fed as it goes.
    static func layout(frames: Int, seed: UInt64) -> (index: OffsetIndex, starts: [(offset: Offset, position: Int)]) {
        var random = SplitMix64(seed: seed)
        var index = OffsetIndex(baseOffset: Offset(1000), intervalBytes: 4096)
        var starts: [(Offset, Int)] = []
        var offset = Offset(1000)
        var position = 0
        for _ in 0..<frames {
            starts.append((offset, position))
            index.frameWritten(baseOffset: offset, position: position)
            offset = offset.advanced(by: 1 + random.next() % 20)
            position += FrameHeader.padded(48 + Int(random.next() % 3000))
        }
        return (index, starts)
    }

    @Test func lookupFindsTheLastIndexedFrameAtOrBeforeTheOffset() {
        let (index, starts) = Self.layout(frames: 2000, seed: 3)
        #expect(index.count > 100)
        let indexed = Set(index.entries.map { Int($0 & 0xFFFF_FFFF) })
        for (number, start) in starts.enumerated() {
            let end = number + 1 < starts.count ? starts[number + 1].offset : start.offset.advanced(by: 1)
            for offset in start.offset.rawValue..<end.rawValue {
                // Model: the latest frame start at or before this frame that has an entry, else 0.
                let expected = starts[...number].last { indexed.contains($0.position) }?.position ?? 0
                #expect(index.position(before: Offset(offset)) == expected)
            }
        }
    }

    @Test func indexEntriesAreSparse() {
        let (index, starts) = Self.layout(frames: 2000, seed: 4)
        let bytes = starts.last!.position
        #expect(index.count <= bytes / 4096 + 1)
        #expect(index.count >= bytes / (4096 + 3100) - 1)
    }

    @Test func indexFileRoundTripsAndRejectsAnyDamage() {
        let (index, starts) = Self.layout(frames: 300, seed: 5)
        let summary = SegmentSummary(baseOffset: Offset(1000), nextOffset: starts.last!.offset.advanced(by: 1),
                                     dataEnd: starts.last!.position + 64, lastCRC: 77, maxTimestamp: 123)
        let bytes = IndexFile.encode(index, summary: summary)
        let decoded = IndexFile.decode(bytes, baseOffset: Offset(1000), intervalBytes: 4096)
        #expect(decoded?.0.entries == index.entries)
        #expect(decoded?.1 == summary)
        for position in stride(from: 0, to: bytes.count, by: 5) {
            var damaged = bytes
            damaged[position] ^= 0x10
            #expect(IndexFile.decode(damaged, baseOffset: Offset(1000), intervalBytes: 4096) == nil, "flip at \(position)")
        }
        #expect(IndexFile.decode(Array(bytes.dropLast()), baseOffset: Offset(1000), intervalBytes: 4096) == nil)
        #expect(IndexFile.decode([], baseOffset: Offset(1000), intervalBytes: 4096) == nil)
        // The reserved footer field must be zero, even under a valid CRC.
        var reserved = bytes
        let footer = bytes.count - IndexFile.footerSize
        reserved[footer + 28] = 1
        reserved.withUnsafeMutableBytes {
            ByteCoding.store(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<footer + 44])), $0, at: footer + 44)
        }
        #expect(IndexFile.decode(reserved, baseOffset: Offset(1000), intervalBytes: 4096) == nil)
    }

    @Test func checkpointUsesTheNewestValidSlot() {
        var file = [UInt8](repeating: 0, count: Checkpoint.fileSize)
        func put(_ checkpoint: Checkpoint) {
            file.replaceSubrange(checkpoint.slotPosition..<checkpoint.slotPosition + Checkpoint.slotSize, with: checkpoint.encode())
        }
        let older = Checkpoint(sequence: 6, segmentBase: Offset(10), syncedPosition: 4096, nextOffset: Offset(50), lastCRC: 1, unsyncedWindowBytes: 1 << 21)
        let newer = Checkpoint(sequence: 7, segmentBase: Offset(10), syncedPosition: 8192, nextOffset: Offset(90), lastCRC: 2, unsyncedWindowBytes: 1 << 21)
        #expect(Checkpoint.decode(file: file) == nil)
        put(older)
        #expect(Checkpoint.decode(file: file) == older)
        put(newer)
        #expect(Checkpoint.decode(file: file) == newer)
        // A torn write of the newer slot leaves the older one in force.
        file[newer.slotPosition + 30] ^= 1
        #expect(Checkpoint.decode(file: file) == older)
        // Reserved bytes 48..<60 must be zero, even under a valid CRC (a later version's slot).
        var reserved = newer.encode()
        reserved[50] = 1
        reserved.withUnsafeMutableBytes { ByteCoding.store(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60])), $0, at: 60) }
        #expect(reserved.withUnsafeBytes { Checkpoint.decodeSlot($0) } == nil)
    }

    @Test func tailDecisionTable() {
        // A segment: one valid frame, then a damaged region at 512, zeroes, maybe data far away.
        let encoded = EncodedFrame(records: [Record(value: payload(1, size: 300))], term: Term(0), now: 0, codec: .none,
                                   compressionLevel: 3, compressionThresholdBytes: 0)
        let frame = (bytes: encoded.sealed(baseOffset: Offset(0), previousCRC: 0).bytes, paddedLength: encoded.paddedLength)
        let window = 8192
        func decide(garbageAt: Int?, farData: Bool, last: Bool, synced: Int) -> TailDecision {
            var bytes = [UInt8](repeating: 0, count: 64 << 10)
            bytes.replaceSubrange(0..<frame.paddedLength, with: frame.bytes)
            if let garbageAt { bytes[garbageAt] = 0xAB }
            if farData { bytes[frame.paddedLength + window + 100] = 1 }
            return bytes.withUnsafeBytes { buffer in
                let scan = SegmentScan.scan(buffer, expectedOffset: Offset(0), expectedPreviousCRC: 0, frameBytesMax: 1 << 20)
                return TailDecision.decide(scan: scan, bytes: buffer, isLastSegment: last, syncedPosition: synced, unsyncedWindowBytes: window)
            }
        }
        let end = frame.paddedLength
        #expect(decide(garbageAt: nil, farData: false, last: true, synced: end) == .clean)
        #expect(decide(garbageAt: end + 3, farData: false, last: true, synced: end) == .tornTail(position: end))
        #expect(decide(garbageAt: end + 3, farData: false, last: true, synced: 0) == .tornTail(position: end))
        // Data beyond the unsynced window cannot come from a torn write.
        guard case .corruption(end, _) = decide(garbageAt: end + 3, farData: true, last: true, synced: 0) else {
            Issue.record("far data must be corruption"); return
        }
        // Damage before the synced position is corruption.
        guard case .corruption = decide(garbageAt: end + 3, farData: false, last: true, synced: end + 4096) else {
            Issue.record("damage in synced data must be corruption"); return
        }
        // Only the last segment can have a torn tail.
        guard case .corruption = decide(garbageAt: end + 3, farData: false, last: false, synced: 0) else {
            Issue.record("damage in a sealed segment must be corruption"); return
        }
        // A damaged first frame in the last segment, nothing after: torn at 0.
        #expect(decide(garbageAt: 20, farData: false, last: true, synced: 0) == .tornTail(position: 0))
    }
}
